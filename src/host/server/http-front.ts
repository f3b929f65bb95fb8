// The front door: node:http in, plain request records to a worker, plain response records out.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HEADER_SEPARATOR } from '../../shared/boundary.js';
import { LOOP_DETECTED, MAX_HOPS, VIA_HEADER, hopsOf } from '../outbound/loop-limit.js';
import { newSpanId, newTraceId, parseTraceparent } from '../observability/tracing/trace-context.js';
import { hostOf, pathOf, requestUrl } from './request-url.js';
import { isByteSource, type ByteSource } from '../isolates/byte-source.js';
import type { IncomingRequest, OutgoingResponse } from '../isolates/request-types.js';
import { RequestBodySource } from './request-body-source.js';
import { acceptUpgrades, answerUpgrade } from './websocket-upgrade.js';

/** Workers accepts request bodies up to 100 MB on most plans; larger ones get 413. */
export const MAX_REQUEST_BODY = 100 * 1024 * 1024;
/**
 * Bodies declared this small are read whole first and cross into the worker with the request, in one
 * call; larger ones and those of unknown length stream in as the client sends them.
 */
const BUFFERED_BODY = 1024 * 1024;
const TRACE_ID = /^[0-9A-Za-z._-]{1,128}$/;

export interface Target { fetch(request: IncomingRequest): Promise<OutgoingResponse> }

export interface FrontOptions {
  /** Picks the worker for a request, or null for a 404. */
  route(host: string, path: string): Target | null;
  onError?: (err: unknown) => void;
  /** Answers a request itself (true) before any routing: islet dev's reserved /__islet/ paths. */
  intercept?: (req: IncomingMessage, res: ServerResponse) => boolean;
}

/** The id a request is traced by: W3C traceparent's trace-id, X-Trace-ID, or a new one. */
export function traceIdOf(req: IncomingMessage): string {
  return traceOf(req).traceId;
}

interface Trace { traceId: string; parentSpanId: string | undefined }

/** The request's trace id, and the caller's span when a valid traceparent names one. */
function traceOf(req: IncomingMessage): Trace {
  const traceparent = req.headers.traceparent;
  if (typeof traceparent === 'string') {
    const parsed = parseTraceparent(traceparent);
    if (parsed !== null) return { traceId: parsed.traceId, parentSpanId: parsed.parentId };
  }
  const given = req.headers['x-trace-id'];
  if (typeof given === 'string' && TRACE_ID.test(given)) return { traceId: given, parentSpanId: undefined };
  return { traceId: newTraceId(), parentSpanId: undefined };
}

/**
 * The boundary encoding of the request's headers, or null when Host appears twice (RFC 9112 3.2: 400).
 * `authority`, for a target in absolute form, is the Host the worker sees: RFC 9112 section 3.2.2 has
 * the server ignore the Host received and use the target's, and a proxy generate a new Host from it.
 */
function encodeRawHeaders(raw: string[], authority: string | null): string | null {
  let out = '';
  let hosts = 0;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (name === 'host' && ++hosts > 1) return null;
    const value = name === 'host' && authority !== null ? authority : raw[i + 1]!;
    out += (i === 0 ? '' : HEADER_SEPARATOR) + name + ':' + value;
  }
  // An HTTP/1.0 client may send an absolute target without any Host.
  if (hosts === 0 && authority !== null) out = 'host:' + authority + (out === '' ? '' : HEADER_SEPARATOR + out);
  return out;
}

function readBody(req: IncomingMessage): Promise<ArrayBuffer | null | 'too-large' | 'gone'> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_REQUEST_BODY) return Promise.resolve('too-large');
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let total = 0;
    req.on('data', (chunk: Buffer) => {
      total += chunk.byteLength;
      if (total > MAX_REQUEST_BODY) {
        // Stop reading; the 413 goes out and the connection closes behind it (see tooLarge).
        req.removeAllListeners('data');
        req.pause();
        resolve('too-large');
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (total === 0) { resolve(null); return; }
      const all = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
      resolve(all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer);
    });
    // A client that goes away mid-body is not an error of the server's: there is no one to answer.
    req.on('error', () => resolve('gone'));
    req.on('aborted', () => resolve('gone'));
  });
}

function writeResponse(req: IncomingMessage, res: ServerResponse, response: OutgoingResponse, traceId: string): void {
  const { webSocket } = response;
  if (webSocket !== undefined) { answerUpgrade(req, res, { ...response, webSocket }, traceId); return; }
  const body = response.body;
  // Already answered (413 for a body that grew past the limit while it streamed): nobody reads this one.
  if (res.headersSent || res.destroyed) {
    if (isByteSource(body)) body.cancel('The response was not needed.');
    return;
  }
  const flat: string[] = ['x-trace-id', traceId];
  if (response.headers !== '') {
    for (const line of response.headers.split(HEADER_SEPARATOR)) {
      const colon = line.indexOf(':');
      if (colon > 0) flat.push(line.slice(0, colon), line.slice(colon + 1));
    }
  }
  const head = (): boolean => {
    try {
      res.writeHead(response.status, response.statusText || undefined, flat);
      return true;
    } catch {
      // A header node:http refuses (the worker's own validation should have caught it).
      res.writeHead(500, ['content-type', 'text/plain;charset=UTF-8']);
      res.end('Internal Server Error: the worker produced an invalid response.\n');
      if (isByteSource(body)) body.cancel('The response was invalid.');
      return false;
    }
  };
  if (!isByteSource(body)) { if (head()) res.end(body ?? undefined); return; }
  if (req.method === 'HEAD') { if (head()) { body.cancel('A HEAD response has no body.'); res.end(); } return; }
  void writeStream(res, body, head);
}

/**
 * Writes a streamed body with backpressure: the next chunk is asked for only once the socket has taken
 * the last. A body that fails part-way, or does not match the content-length the worker declared, cuts
 * the connection, so the client cannot take a truncated body for a whole one; a client that goes away
 * cancels the body. node:http sends a response's head with its first body bytes anyway, so `head` is
 * written only once the first chunk (or the end) is here: a body that fails before it, as when the
 * worker is stopped for a limit, still gets a clean 500 rather than a cut connection.
 */
async function writeStream(res: ServerResponse, body: ByteSource, head: () => boolean): Promise<void> {
  let expected: number | null = null;
  let headed = false;
  let written = 0;
  let gone = false;
  res.once('close', () => {
    if (res.writableFinished) return;
    gone = true;
    body.cancel('The client disconnected.');
  });
  try {
    for (;;) {
      let chunk: Uint8Array | null;
      try {
        chunk = await body.read();
      } catch (err) {
        if (headed || gone) throw err;
        gone = true;
        body.cancel('The response failed before its first byte.');
        plain(res, 500, 'Internal Server Error: the worker\'s response body failed before its first byte.\n');
        return;
      }
      if (gone) return;
      if (!headed) {
        headed = true;
        if (!head()) { gone = true; return; }
        const declared = res.getHeader('content-length');
        expected = declared === undefined ? null : Number(declared);
      }
      if (chunk === null) break;
      written += chunk.byteLength;
      if (expected !== null && written > expected) throw new Error('the body is longer than its content-length');
      if (!res.write(chunk)) await drained(res);
      if (gone) return;
    }
    if (expected !== null && written !== expected) throw new Error('the body is shorter than its content-length');
    res.end();
  } catch {
    // The worker's failure is in its log already; the client must not see a clean end.
    if (!gone) {
      gone = true;
      body.cancel('The response was cut off.');
      res.destroy();
    }
  }
}

function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** How long a client still sending an oversized body is read from after its 413, before the connection is cut. */
const LINGER_MS = 5_000;

/**
 * 413, then the connection closes. Not at once: closing a socket with the client's upload unread
 * makes the kernel answer it with a reset, which can destroy the 413 before the client reads it (the
 * lingering close of RFC 9112 §9.6). Node closes a `connection: close` response's socket fully once it
 * is written (destroySoon); here it is only half-closed, what else the client sends is read and
 * dropped, and the connection is cut if the client is still sending after LINGER_MS.
 */
function tooLarge(res: ServerResponse, traceId: string): void {
  const socket = res.socket;
  if (socket !== null) socket.destroySoon = () => { socket.end(); };
  res.writeHead(413, ['content-type', 'text/plain;charset=UTF-8', 'connection', 'close', 'x-trace-id', traceId]);
  res.end(`Request body exceeds the limit of ${MAX_REQUEST_BODY} bytes.\n`, () => {
    if (socket === null || socket.destroyed) return;
    res.req.removeAllListeners('data');
    res.req.resume();
    const cut = setTimeout(() => socket.destroy(), LINGER_MS);
    cut.unref();
    socket.once('close', () => clearTimeout(cut));
  });
}

function plain(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, ['content-type', 'text/plain;charset=UTF-8']);
  res.end(message);
}

export function createHttpFront(options: FrontOptions): Server {
  const failed = (res: ServerResponse) => (err: unknown) => {
    options.onError?.(err);
    if (!res.headersSent) plain(res, 500, 'Internal Server Error\n');
    else res.destroy();
  };
  const dispatch = (req: IncomingMessage, res: ServerResponse, target: Target, url: string, body: ArrayBuffer | ByteSource | null, hops: number, trace: Trace) => {
    const absoluteForm = !(req.url ?? '').startsWith('/');
    const headers = encodeRawHeaders(req.rawHeaders, absoluteForm ? hostOf(url) : null);
    if (headers === null) { plain(res, 400, 'Bad Request: more than one Host header.\n'); return; }
    const { traceId, parentSpanId } = trace;
    // The request's span is named now, not when it is exported: its subrequests carry it as their parent.
    target.fetch({ method: req.method ?? 'GET', url, headers, body, traceId, hops, parentSpanId, spanId: newSpanId() })
      .then((response) => writeResponse(req, res, response, traceId), failed(res));
  };
  const server = createServer({ maxHeaderSize: 32 * 1024 }, (req, res) => {
    if (options.intercept?.(req, res) === true) return;
    const url = requestUrl(req.headers.host, req.url ?? '');
    if (url === null) { plain(res, 400, 'Bad Request: the Host header or the request target is not valid.\n'); return; }
    const path = pathOf(url);
    const target = options.route(hostOf(url), path);
    if (target === null) { plain(res, 404, `No worker is routed for ${url}\n`); return; }
    const hops = hopsOf(req.headers[VIA_HEADER]);
    if (hops >= MAX_HOPS) { plain(res, 508, LOOP_DETECTED); return; }
    // RFC 9112 section 6.1: a transfer coding the server does not implement gets 501. node:http
    // de-chunks and would hand the worker the rest (gzip, ...) still coded, as if it were the body.
    const coding = req.headers['transfer-encoding'];
    if (coding !== undefined && coding.trim().toLowerCase() !== 'chunked') {
      plain(res, 501, `Not Implemented: transfer coding "${coding}" (only chunked is supported).\n`);
      return;
    }
    const trace = traceOf(req);
    // Most requests have no body: they go straight to the worker, without waiting a turn.
    if (req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined) {
      dispatch(req, res, target, url, null, hops, trace);
      return;
    }
    const declared = Number(req.headers['content-length'] ?? Number.NaN);
    if (declared > MAX_REQUEST_BODY) { tooLarge(res, trace.traceId); return; }
    if (!(declared <= BUFFERED_BODY)) {
      // The worker reads the body as it arrives; past the limit its stream errors, and the client
      // gets 413 unless the worker has answered already.
      dispatch(req, res, target, url, new RequestBodySource(req, MAX_REQUEST_BODY, () => {
        if (!res.headersSent) { tooLarge(res, trace.traceId); return true; }
        res.destroy();
        return false;
      }), hops, trace);
      return;
    }
    readBody(req).then((body) => {
      if (body === 'gone') res.destroy();
      else if (body === 'too-large') tooLarge(res, trace.traceId);
      else dispatch(req, res, target, url, body, hops, trace);
    }, failed(res));
  });
  // WebSocket upgrades take the same path; a 101 with the worker's socket is answered in writeResponse.
  acceptUpgrades(server, (req, res) => server.emit('request', req, res));
  return server;
}

export function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}
