// Tenant subrequests, made by the host with Node's fetch (undici). `routes` sends requests for a
// hostname to another origin, so development and tests can point a worker's subrequests at a local
// server (`islet dev --outbound HOST=URL`).
import { ErrorKind, HEADER_SEPARATOR, type HostReply } from '../../shared/boundary.js';
import { fail, ok, typeError } from '../isolates/host-ops/reply.js';

// Hop-by-hop and length headers are the transport's business, not the tenant's.
const DROPPED_REQUEST_HEADERS = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'host', 'upgrade']);
const MAX_RESPONSE_BYTES = 100 * 1024 * 1024;
const REDIRECT_MODES = new Set(['follow', 'manual', 'error']);

export interface OutboundOptions {
  /** hostname (or host:port) -> origin to send it to instead, e.g. "api.example.com" -> "http://127.0.0.1:9000" */
  routes?: ReadonlyMap<string, string>;
  timeoutMs?: number;
}

export function encodeHeaders(headers: Headers): string {
  const lines: string[] = [];
  for (const [name, value] of headers) lines.push(`${name}:${value}`);
  return lines.join(HEADER_SEPARATOR);
}

export function decodeHeaders(encoded: string): [string, string][] {
  if (encoded === '') return [];
  const out: [string, string][] = [];
  for (const line of encoded.split(HEADER_SEPARATOR)) {
    const colon = line.indexOf(':');
    if (colon > 0) out.push([line.slice(0, colon), line.slice(colon + 1)]);
  }
  return out;
}

export class Outbound {
  readonly #routes: ReadonlyMap<string, string>;
  readonly #timeoutMs: number;

  constructor(options: OutboundOptions = {}) {
    this.#routes = options.routes ?? new Map();
    this.#timeoutMs = options.timeoutMs ?? 30_000;
  }

  #route(url: URL): URL {
    const target = this.#routes.get(url.host) ?? this.#routes.get(url.hostname);
    if (target === undefined) return url;
    // The target's path is a prefix: HOST=http://127.0.0.1:8787/monitoring sends /alerts to /monitoring/alerts.
    const base = new URL(target);
    return new URL(base.pathname.replace(/\/$/, '') + url.pathname + url.search, base.origin);
  }

  /** (method, url, headers, body, redirect) as the runtime sends them; every value is checked here. */
  async fetch(args: unknown[]): Promise<HostReply> {
    const [method, url, headers, body, redirect] = args;
    if (typeof method !== 'string' || typeof url !== 'string' || typeof headers !== 'string') return typeError('invalid fetch arguments');
    if (body !== null && typeof body !== 'string' && !(body instanceof ArrayBuffer)) return typeError('invalid fetch body');
    if (typeof redirect !== 'string' || !REDIRECT_MODES.has(redirect)) return typeError('invalid redirect mode');
    const parsed = URL.parse(url);
    if (parsed === null) return typeError(`Invalid URL: ${url}`);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return typeError(`Fetch API cannot load: ${url}`);
    const target = this.#route(parsed);
    const outgoing = decodeHeaders(headers).filter(([name]) => !DROPPED_REQUEST_HEADERS.has(name.toLowerCase()));
    try {
      const response = await fetch(target, {
        method, headers: outgoing, body: body === null ? null : body,
        redirect: redirect as 'follow' | 'manual' | 'error', signal: AbortSignal.timeout(this.#timeoutMs),
      });
      const buffer = await response.arrayBuffer();
      if (buffer.byteLength > MAX_RESPONSE_BYTES) return fail(ErrorKind.RangeError, 'Subrequest response body is too large.');
      return ok([response.status, response.statusText, encodeHeaders(response.headers), buffer, target === parsed ? response.url : url, response.redirected]);
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code;
      if ((err as Error).name === 'TimeoutError') return fail(ErrorKind.Error, 'The subrequest timed out.');
      return typeError(`Network connection lost.${cause === undefined ? '' : ` (${cause})`}`);
    }
  }
}
