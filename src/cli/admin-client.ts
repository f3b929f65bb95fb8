// The client every admin command goes through (docs/admin-api.md): one method per endpoint, answers
// checked and typed, and every way a call can fail turned into an AdminError whose message says what
// to do (start the server, set the token, read the server's error), so the CLI never shows a stack for
// a failure the user caused or can fix.
import { request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { KvBulkItem } from '../host/bindings/kv/kv-bulk-checks.js';
import type { DeployConfig } from '../host/control/model.js';
import {
  ResponseShapeError, readDeployResult, readDeployment, readKvBulkResult, readKvListPage, readList, readSecretName,
  readStringField, readVersionSummary, readWorkerSummary,
  type DeployResult, type DeploymentSummary, type KvListPage, type Sticky, type VersionSummary, type WorkerSummary,
} from './admin-responses.js';

export const DEFAULT_ADMIN_URL = 'http://127.0.0.1:8788';

export class AdminError extends Error {
  override name = 'AdminError';
  /** The server's error code (`not_found`, `deploy_failed` ...), or the client's own: `unreachable`, `invalid_response`. */
  readonly code: string;
  /** The HTTP status, or null when no answer came. */
  readonly status: number | null;
  constructor(code: string, message: string, status: number | null) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

export interface DeployRequest {
  code: string;
  sourceMap: string | null;
  tenant?: string;
  message?: string;
  config: DeployConfig;
  percent?: number;
  sticky?: Sticky;
}

export interface KvPutOptions {
  expiration?: number;
  expirationTtl?: number;
  /** JSON text, sent as is. */
  metadata?: string;
}

/** Called as a request body goes out, for progress on large uploads. */
export type UploadProgress = (sentBytes: number, totalBytes: number) => void;

interface Answer { status: number; body: Buffer }

interface Call {
  json?: unknown;
  bytes?: Uint8Array;
  headers?: OutgoingHttpHeaders;
  onProgress?: UploadProgress;
}

const CHUNK_BYTES = 256 * 1024;
const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'ECONNRESET']);

export class AdminClient {
  /** The admin API's base URL as given, without a trailing slash. */
  readonly url: string;
  /** Origin and path prefix (a proxy may mount the API under one), with no trailing slash. */
  readonly #base: string;
  readonly #token: string | null;

  /** `server` and `token` come from flags; the environment fills what they leave out. */
  constructor(options: { server?: string | undefined; token?: string | undefined } = {}, env: NodeJS.ProcessEnv = process.env) {
    const server = options.server ?? nonEmpty(env['ISLET_SERVER']) ?? DEFAULT_ADMIN_URL;
    // "127.0.0.1:8788" is what people type; the scheme is implied as for curl.
    const parsed = URL.parse(/^[a-z][a-z0-9+.-]*:\/\//i.test(server) ? server : `http://${server}`);
    if (parsed === null || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || parsed.search !== '' || parsed.hash !== '') {
      throw new AdminError('invalid_server', `--server / ISLET_SERVER must be an http(s) URL like ${DEFAULT_ADMIN_URL}, got "${server}"`, null);
    }
    this.#base = `${parsed.origin}${parsed.pathname.replace(/\/+$/, '')}`;
    this.url = this.#base;
    this.#token = options.token ?? nonEmpty(env['ISLET_ADMIN_TOKEN']) ?? null;
  }

  async deploy(name: string, deploy: DeployRequest, onProgress?: UploadProgress): Promise<DeployResult> {
    const bytes = Buffer.from(JSON.stringify(deploy), 'utf8');
    const answer = await this.#call('PUT', `/workers/${seg(name)}`, {
      bytes, headers: { 'content-type': 'application/json' }, ...(onProgress !== undefined ? { onProgress } : {}),
    });
    return this.#read(answer, readDeployResult);
  }

  async listWorkers(): Promise<WorkerSummary[]> {
    return this.#read(await this.#call('GET', '/workers'), (v) => readList(v, 'workers', readWorkerSummary));
  }

  async getWorker(name: string): Promise<WorkerSummary> {
    return this.#read(await this.#call('GET', `/workers/${seg(name)}`), (v) => readWorkerSummary(v));
  }

  async deleteWorker(name: string): Promise<void> {
    this.#read(await this.#call('DELETE', `/workers/${seg(name)}`), (v) => readStringField(v, 'deleted'));
  }

  async listVersions(name: string): Promise<VersionSummary[]> {
    return this.#read(await this.#call('GET', `/workers/${seg(name)}/versions`), (v) => readList(v, 'versions', readVersionSummary));
  }

  async getVersion(name: string, id: string): Promise<VersionSummary> {
    return this.#read(await this.#call('GET', `/workers/${seg(name)}/versions/${seg(id)}`), (v) => readVersionSummary(v));
  }

  /** Splits traffic over versions that already exist. */
  async createDeployment(name: string, versions: { id: string; percent: number }[], sticky?: Sticky): Promise<DeploymentSummary> {
    const json = { versions, ...(sticky !== undefined ? { sticky } : {}) };
    const answer = await this.#call('POST', `/workers/${seg(name)}/deployments`, { json });
    return this.#read(answer, (v) => readDeployment(field(v, 'deployment'), 'answer.deployment'));
  }

  /** 100% to `version`, or to the version deployed before the current deployment. */
  async rollback(name: string, version?: string): Promise<DeploymentSummary> {
    const answer = await this.#call('POST', `/workers/${seg(name)}/rollback`, { json: version === undefined ? {} : { version } });
    return this.#read(answer, (v) => readDeployment(field(v, 'deployment'), 'answer.deployment'));
  }

  async listSecrets(name: string): Promise<string[]> {
    return this.#read(await this.#call('GET', `/workers/${seg(name)}/secrets`), (v) => readList(v, 'secrets', readSecretName));
  }

  async putSecret(name: string, secret: string, value: string): Promise<void> {
    this.#read(await this.#call('PUT', `/workers/${seg(name)}/secrets/${seg(secret)}`, { json: { value } }), (v) => readStringField(v, 'name'));
  }

  async deleteSecret(name: string, secret: string): Promise<void> {
    this.#read(await this.#call('DELETE', `/workers/${seg(name)}/secrets/${seg(secret)}`), (v) => readStringField(v, 'deleted'));
  }

  async kvList(name: string, binding: string, options: { prefix?: string | undefined; limit?: number; cursor?: string } = {}): Promise<KvListPage> {
    const query = new URLSearchParams();
    if (options.prefix !== undefined) query.set('prefix', options.prefix);
    if (options.limit !== undefined) query.set('limit', String(options.limit));
    if (options.cursor !== undefined) query.set('cursor', options.cursor);
    const search = query.size > 0 ? `?${query}` : '';
    return this.#read(await this.#call('GET', `${kvPath(name, binding)}/keys${search}`), readKvListPage);
  }

  /** The value's bytes, or null when the key is absent. */
  async kvGet(name: string, binding: string, key: string): Promise<Uint8Array | null> {
    const answer = await this.#call('GET', `${kvPath(name, binding)}/values/${keySeg(key)}`, {}, [404]);
    if (answer.status !== 404) return answer.body;
    // The same 404 could mean an unknown worker or binding: a one-key list tells them apart, and
    // throws the server's own error if either is missing.
    await this.kvList(name, binding, { limit: 1 });
    return null;
  }

  async kvPut(name: string, binding: string, key: string, value: Uint8Array, options: KvPutOptions = {}): Promise<void> {
    const query = new URLSearchParams();
    if (options.expiration !== undefined) query.set('expiration', String(options.expiration));
    if (options.expirationTtl !== undefined) query.set('expiration_ttl', String(options.expirationTtl));
    const search = query.size > 0 ? `?${query}` : '';
    const headers: OutgoingHttpHeaders = { 'content-type': 'application/octet-stream' };
    if (options.metadata !== undefined) headers['x-islet-metadata'] = options.metadata;
    this.#read(await this.#call('PUT', `${kvPath(name, binding)}/values/${keySeg(key)}${search}`, { bytes: value, headers }), () => undefined);
  }

  async kvDelete(name: string, binding: string, key: string): Promise<void> {
    this.#read(await this.#call('DELETE', `${kvPath(name, binding)}/values/${keySeg(key)}`), () => undefined);
  }

  /** Writes one batch, all of it or (answered with an error) none of it; resolves with how many keys were written. */
  async kvBulkPut(name: string, binding: string, items: readonly KvBulkItem[]): Promise<number> {
    return this.#read(await this.#call('PUT', `${kvPath(name, binding)}/bulk`, { json: items }), readKvBulkResult);
  }

  /** Deletes one batch of keys, all of them or (answered with an error) none. */
  async kvBulkDelete(name: string, binding: string, keys: readonly string[]): Promise<number> {
    return this.#read(await this.#call('POST', `${kvPath(name, binding)}/bulk/delete`, { json: keys }), readKvBulkResult);
  }

  /** An Analytics Engine SQL query over one tenant's (or one worker's tenant's) points; the body as the server sent it. */
  async analyticsSql(scope: { tenant: string } | { worker: string }, sql: string): Promise<string> {
    const query = new URLSearchParams('tenant' in scope ? { tenant: scope.tenant } : { worker: scope.worker });
    const answer = await this.#call('POST', `/analytics/sql?${query}`, { bytes: Buffer.from(sql, 'utf8'), headers: { 'content-type': 'text/plain; charset=utf-8' } });
    return answer.body.toString('utf8');
  }

  /**
   * A worker's live tail (newline-delimited JSON events), open until `signal` aborts it or the server
   * ends it. `query`: status, sampling, search.
   */
  async tail(name: string, query: URLSearchParams, signal: AbortSignal): Promise<IncomingMessage> {
    const url = new URL(`${this.#base}/api/v1/workers/${seg(name)}/tail${query.size > 0 ? `?${query}` : ''}`);
    const headers: OutgoingHttpHeaders = { accept: 'application/x-ndjson' };
    if (this.#token !== null) headers['authorization'] = `Bearer ${this.#token}`;
    let response: IncomingMessage;
    try {
      response = await new Promise<IncomingMessage>((resolve, reject) => {
        const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, { method: 'GET', headers, signal }, resolve);
        request.on('error', reject);
        request.end();
      });
    } catch (err) {
      throw this.#unreachable(err);
    }
    const status = response.statusCode ?? 0;
    if (status >= 200 && status < 300) return response;
    const chunks: Buffer[] = [];
    for await (const chunk of response) chunks.push(chunk as Buffer);
    throw this.#failure({ status, body: Buffer.concat(chunks) });
  }

  #read<T>(answer: Answer, read: (value: unknown) => T): T {
    let value: unknown;
    try {
      value = JSON.parse(answer.body.toString('utf8'));
    } catch {
      throw this.#notAdmin(answer);
    }
    try {
      return read(value);
    } catch (err) {
      if (!(err instanceof ResponseShapeError)) throw err;
      throw new AdminError('invalid_response', `The admin API at ${this.url} answered in an unexpected shape (${err.message}); is the server a different version of Islet?`, answer.status);
    }
  }

  /** Sends one request; any status but 2xx (and those in `allow`) becomes an AdminError. */
  async #call(method: string, path: string, call: Call = {}, allow: number[] = []): Promise<Answer> {
    const url = new URL(`${this.#base}/api/v1${path}`);
    const headers: OutgoingHttpHeaders = { accept: 'application/json', ...call.headers };
    if (this.#token !== null) headers['authorization'] = `Bearer ${this.#token}`;
    let body: Uint8Array | null = call.bytes ?? null;
    if (call.json !== undefined) {
      body = Buffer.from(JSON.stringify(call.json), 'utf8');
      headers['content-type'] = 'application/json';
    }
    headers['content-length'] = String(body?.byteLength ?? 0);
    let answer: Answer;
    try {
      answer = await send(url, method, headers, body, call.onProgress);
    } catch (err) {
      throw this.#unreachable(err);
    }
    if ((answer.status >= 200 && answer.status < 300) || allow.includes(answer.status)) return answer;
    throw this.#failure(answer);
  }

  #unreachable(err: unknown): AdminError {
    const code = (err as { code?: unknown }).code;
    if (code === 'ECONNREFUSED') {
      return new AdminError('unreachable', `Cannot reach the Islet admin API at ${this.url}: is \`islet serve\` running? (set --server or ISLET_SERVER)`, null);
    }
    if (typeof code === 'string' && CONNECT_ERRORS.has(code)) {
      return new AdminError('unreachable', `Cannot reach the Islet admin API at ${this.url} (${code}): is \`islet serve\` running there? (set --server or ISLET_SERVER)`, null);
    }
    return new AdminError('unreachable', `The request to the Islet admin API at ${this.url} failed: ${(err as Error).message ?? String(err)}`, null);
  }

  #failure(answer: Answer): AdminError {
    if (answer.status === 401) {
      const how = 'set it with --token or ISLET_ADMIN_TOKEN (islet serve prints the token it generated and writes it to <data>/admin-token)';
      return this.#token === null
        ? new AdminError('unauthorized', `The admin API at ${this.url} needs a token: ${how}.`, 401)
        : new AdminError('unauthorized', `The admin API at ${this.url} refused the token: ${how}.`, 401);
    }
    const error = adminErrorBody(answer.body);
    if (error === null) return this.#notAdmin(answer);
    return new AdminError(error.code, error.message, answer.status);
  }

  /** An answer not in the admin API's shape: most often --server names the tenant port or another service. */
  #notAdmin(answer: Answer): AdminError {
    const text = answer.body.toString('utf8').trim().slice(0, 200);
    return new AdminError(
      'invalid_response',
      `The server at ${this.url} answered ${answer.status}${text === '' ? '' : ` (${text})`}, not as Islet's admin API does: is it the admin port (islet serve --admin-port, default 8788)?`,
      answer.status,
    );
  }
}

function send(url: URL, method: string, headers: OutgoingHttpHeaders, body: Uint8Array | null, onProgress?: UploadProgress): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, { method, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks) }));
    });
    request.on('error', reject);
    if (body === null) { request.end(); return; }
    // Written in chunks, each after the previous one left, so progress follows the upload.
    const total = body.byteLength;
    let sent = 0;
    const next = (): void => {
      if (sent >= total) { request.end(); return; }
      const chunk = body.subarray(sent, Math.min(total, sent + CHUNK_BYTES));
      request.write(chunk, (err) => {
        if (err !== undefined && err !== null) return;
        sent += chunk.byteLength;
        onProgress?.(sent, total);
        next();
      });
    };
    next();
  });
}

function adminErrorBody(body: Buffer): { code: string; message: string } | null {
  let value: unknown;
  try { value = JSON.parse(body.toString('utf8')); } catch { return null; }
  const error = typeof value === 'object' && value !== null ? (value as { error?: unknown }).error : undefined;
  if (typeof error !== 'object' || error === null) return null;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code !== 'string' || typeof message !== 'string') return null;
  return { code, message };
}

function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

function kvPath(name: string, binding: string): string {
  return `/workers/${seg(name)}/kv/${seg(binding)}`;
}

/** Names, ids and keys are single path segments, so `/`, `?` and `%` in them must be escaped. */
function seg(value: string): string {
  return encodeURIComponent(value);
}

/**
 * KV refuses "." and ".." as keys, and no URL can carry them as a path segment (clients resolve even
 * "%2E" as a dot segment), so they are refused here with KV's own message.
 */
function keySeg(key: string): string {
  if (key === '.' || key === '..') throw new AdminError('invalid_request', `"${key}" is not allowed as a key name.`, null);
  return seg(key);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
