// The admin API's HTTP plumbing: bearer-token check, bounded JSON bodies, a table of routes, and one
// error shape ({error: {code, message}}) whatever goes wrong. Handlers see parsed values, never node:http.
// A few endpoints live outside the API's prefix because other tools fix their path (Prometheus'
// /metrics); they take the same token.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:http';
import { ControlError } from '../../control/control-error.js';
import { bearerMatches } from './admin-token.js';

/** A deploy carries a bundle of up to 25 MiB and its source map. */
export const MAX_ADMIN_BODY = 64 * 1024 * 1024;

export interface AdminRequest {
  method: string;
  params: string[];
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  /** The raw body; `json()` parses it. */
  body: Buffer;
  json(): unknown;
}

/** What a handler returns: JSON, raw bytes (KV values), or a stream that runs until either side ends it (tails). */
export type AdminReply = { status: number; json: unknown } | { status: number; bytes: Uint8Array; contentType: string }
  | { status: number; contentType: string; stream: (out: ReplyStream) => void };

/** A streamed reply's side of the connection. Each write goes out at once (no buffering by the server). */
export interface ReplyStream {
  write(text: string): void;
  /** Bytes written that the client has not taken yet: a slow client shows here. */
  readonly buffered: number;
  /** `listener` runs once the client's socket has taken everything written so far. */
  onDrain(listener: () => void): void;
  /** `listener` runs once, when the connection closes, whichever side closed it. */
  onClose(listener: () => void): void;
  end(): void;
}

export interface AdminRoute {
  method: string;
  /** Matched against the path after the /api/v1 prefix (the whole path for root routes); capture groups become `params` (decoded). */
  path: RegExp;
  handle(request: AdminRequest): AdminReply | Promise<AdminReply>;
}

export const PREFIX = '/api/v1';

const STATUS_OF: Record<string, number> = {
  invalid_request: 400, unauthorized: 401, not_found: 404, method_not_allowed: 405, conflict: 409, too_large: 413,
  deploy_failed: 422, too_many_requests: 429, internal: 500,
};

function send(res: ServerResponse, reply: AdminReply): void {
  if ('stream' in reply) {
    res.writeHead(reply.status, { 'content-type': reply.contentType, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
    res.flushHeaders();
    reply.stream({
      write: (text) => { if (!res.destroyed) res.write(text); },
      get buffered() { return res.writableLength; },
      onDrain: (listener) => { res.on('drain', listener); },
      onClose: (listener) => { res.once('close', listener); },
      end: () => { res.end(); },
    });
    return;
  }
  if ('bytes' in reply) {
    res.writeHead(reply.status, { 'content-type': reply.contentType, 'content-length': reply.bytes.byteLength });
    res.end(reply.bytes);
    return;
  }
  const text = JSON.stringify(reply.json) + '\n';
  res.writeHead(reply.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function errorReply(code: string, message: string): AdminReply {
  return { status: STATUS_OF[code] ?? 500, json: { error: { code, message } } };
}

function readBody(req: IncomingMessage): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    if (Number(req.headers['content-length'] ?? 0) > MAX_ADMIN_BODY) { resolve('too-large'); return; }
    const chunks: Buffer[] = [];
    let total = 0;
    req.on('data', (chunk: Buffer) => {
      total += chunk.byteLength;
      if (total > MAX_ADMIN_BODY) { req.removeAllListeners('data'); req.pause(); resolve('too-large'); return; }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks, total)));
    req.on('error', reject);
  });
}

function decodeParams(match: RegExpExecArray): string[] | null {
  try {
    return match.slice(1).map((p) => decodeURIComponent(p ?? ''));
  } catch {
    return null;
  }
}

/**
 * Answers a request before the token check, or returns false. For pages a browser loads (it cannot
 * send a bearer header when it navigates); they must hold no data, which their API calls fetch with
 * the token.
 */
export type PublicHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

export function createAdminServer(token: string, routes: readonly AdminRoute[], onError: (err: unknown) => void, rootRoutes: readonly AdminRoute[] = [], pages?: PublicHandler): Server {
  return createServer(adminHandler(token, routes, onError, rootRoutes, pages));
}

/** The admin API as a request listener, for servers that mount it under a path of their own (islet dev). */
export function adminHandler(token: string, routes: readonly AdminRoute[], onError: (err: unknown) => void, rootRoutes: readonly AdminRoute[] = [], pages?: PublicHandler): (req: IncomingMessage, res: ServerResponse) => void {
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (pages?.(req, res) === true) return;
    if (!bearerMatches(req.headers.authorization, token)) {
      res.setHeader('www-authenticate', 'Bearer realm="islet-admin"');
      send(res, errorReply('unauthorized', 'A valid admin token is required: send "Authorization: Bearer <token>" (ISLET_ADMIN_TOKEN).'));
      return;
    }
    // The path is matched as sent: a URL parser would resolve "%2E" and ".." segments, and a KV key
    // may be "." or ".." (which KV itself then refuses with its own message).
    const target = req.url ?? '/';
    const queryAt = target.indexOf('?');
    const url = { pathname: queryAt === -1 ? target : target.slice(0, queryAt), searchParams: new URLSearchParams(queryAt === -1 ? '' : target.slice(queryAt + 1)) };
    const underPrefix = url.pathname.startsWith(PREFIX + '/');
    if (!underPrefix && !rootRoutes.some((route) => route.path.test(url.pathname))) {
      send(res, errorReply('not_found', `No admin endpoint at ${url.pathname}; the API is under ${PREFIX}/`));
      return;
    }
    const path = underPrefix ? url.pathname.slice(PREFIX.length) : url.pathname;
    let pathMatched = false;
    for (const route of underPrefix ? routes : rootRoutes) {
      const match = route.path.exec(path);
      if (match === null) continue;
      pathMatched = true;
      if (route.method !== req.method) continue;
      const params = decodeParams(match);
      if (params === null) { send(res, errorReply('invalid_request', 'The path is not validly percent-encoded.')); return; }
      const body = await readBody(req);
      if (body === 'too-large') {
        res.setHeader('connection', 'close');
        send(res, errorReply('too_large', `The request body exceeds ${MAX_ADMIN_BODY} bytes.`));
        return;
      }
      const request: AdminRequest = {
        method: req.method, params, query: url.searchParams, headers: req.headers, body,
        json: () => {
          if (body.byteLength === 0) return {};
          try {
            return JSON.parse(body.toString('utf8')) as unknown;
          } catch (err) {
            throw new ControlError('invalid_request', `The body is not valid JSON: ${(err as Error).message}`);
          }
        },
      };
      send(res, await route.handle(request));
      return;
    }
    send(res, pathMatched ? errorReply('method_not_allowed', `${req.method} is not allowed on ${url.pathname}`) : errorReply('not_found', `No admin endpoint at ${url.pathname}`));
  };
  return (req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (err instanceof ControlError) { send(res, errorReply(err.code, err.message)); return; }
      onError(err);
      if (!res.headersSent) send(res, errorReply('internal', 'The server failed to handle this request; see its log.'));
      else res.destroy();
    });
  };
}
