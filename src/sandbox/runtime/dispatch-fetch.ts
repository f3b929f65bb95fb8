// Runs one fetch event: builds the Request, calls the tenant's handler, and sends the Response out
// through the bridge as soon as it is ready, before any waitUntil work finishes.
import { ErrorKind, HEADER_SEPARATOR, Op } from '../../shared/boundary.js';
import { hostNotify } from '../bootstrap/host.js';
import {
  ErrorCtor, JSONParse, PromisePrototypeThen, PromiseResolve, RangeErrorCtor, ReflectApply, StringPrototypeIndexOf, StringPrototypeSlice, TypeErrorCtor,
  Uint8ArrayCtor,
} from '../bootstrap/primordials.js';
import { BodyHolder } from '../web/fetch/body.js';
import { Headers } from '../web/fetch/headers.js';
import { Request } from '../web/fetch/request.js';
import { Response } from '../web/fetch/response.js';
import { declaredStreamLength } from '../web/streams/streams.js';
import { handOffToHost } from '../web/websocket/websocket.js';
import { pullBody, streamResponseBody } from './body-streams.js';
import { incomingBodyStream } from '../web/fetch/incoming-body.js';
import { ExecutionContext, type RequestState } from './execution-context.js';
import { handlerFor } from './entrypoints.js';
import { installedEnv, installedHandler } from './worker-module.js';

// Response bodies given whole (strings, bytes) are capped so one response cannot fill the isolate's heap twice over.
// The host enforces the same cap on what arrives.
const MAX_RESPONSE_BODY = 128 * 1024 * 1024;
// The host logs this text; a tenant's message of any length should not be copied out whole.
const MAX_FAILURE_TEXT = 16 * 1024;

/**
 * What the log shows for a thrown value. Tenant objects can make `stack`, `message` or `toString`
 * throw, so every step is guarded: reporting a failure must never become a failure of the runtime.
 */
export function describeThrown(err: unknown): string {
  let text: string;
  try {
    if (err instanceof ErrorCtor) {
      const stack: unknown = err.stack;
      text = typeof stack === 'string' && stack !== '' ? stack : `${String(err.name)}: ${String(err.message)}`;
    } else {
      text = String(err);
    }
  } catch {
    text = 'a thrown value that could not be described';
  }
  return text.length > MAX_FAILURE_TEXT ? `${StringPrototypeSlice(text, 0, MAX_FAILURE_TEXT)}...` : text;
}

function fail(reqId: number, err: unknown): void {
  hostNotify(Op.Fail, reqId, ErrorKind.Error, describeThrown(err));
}

function failAndFinish(state: RequestState, err: unknown): void {
  fail(state.reqId, err);
  finish(state);
}

function deliver(state: RequestState, response: Response, body: string | ArrayBuffer | null | true | number, length: number | null = null): void {
  // When no waitUntil work is pending the response also ends the request: one crossing, not two.
  const done = state.waiting === 0;
  try {
    let headers = Headers.encode(response.headers);
    // A FixedLengthStream body is sent with its length, unless the worker set one itself.
    if (length !== null && StringPrototypeIndexOf(HEADER_SEPARATOR + headers, `${HEADER_SEPARATOR}content-length:`) === -1) headers += `${headers === '' ? '' : HEADER_SEPARATOR}content-length:${length}`;
    hostNotify(Op.Respond, state.reqId, response.status, response.statusText, headers, body, done);
  } catch (err) {
    // The host answers 500 when nothing was delivered, and ignores this when something was.
    if (body === true) pullBody(state.reqId, true);
    else if (typeof body === 'number') hostNotify(Op.FetchAbort, body);
    fail(state.reqId, err);
    finish(state);
    return;
  }
  if (done) state.responded = true;
  else finish(state);
}

/** Sends a handler's result out as the response of `state`'s request (Durable Objects' fetch events too). */
export function send(state: RequestState, result: unknown): void {
  try {
    if (!Response.isResponse(result)) {
      failAndFinish(state, new TypeErrorCtor("Incorrect type for Promise: the Promise did not resolve to 'Response'."));
      return;
    }
    const webSocket = Response.webSocketOf(result);
    if (webSocket !== null && result.status === 101) { acceptSocket(state, result, webSocket); return; }
    // Strings and bytes leave in this same turn, whole; a stream body is pulled by the host as its
    // client takes the bytes.
    if (!BodyHolder.hasStreamBody(result)) {
      const body = BodyHolder.takeForHost(result);
      const size = body === null ? 0 : typeof body === 'string' ? body.length : body.byteLength;
      if (size > MAX_RESPONSE_BODY) throw new RangeErrorCtor(`Response body exceeded the limit of ${MAX_RESPONSE_BODY} bytes.`);
      deliver(state, result, body);
      return;
    }
    // A subrequest's body the worker did not touch is sent on by the host, never entering the isolate.
    const subrequest = BodyHolder.takeSubrequestForHost(result);
    if (subrequest !== null) { deliver(state, result, subrequest); return; }
    const stream = BodyHolder.takeStreamForHost(result);
    // The request is not over while its body streams: like waitUntil work, the stream keeps it open.
    state.waiting++;
    streamResponseBody(state.reqId, stream, () => {
      state.waiting--;
      if (state.waiting === 0 && state.responded) state.onIdle();
    });
    deliver(state, result, true, declaredStreamLength(stream));
  } catch (err) {
    failAndFinish(state, err);
  }
}

/** A 101 with a WebSocket: like waitUntil work, the socket keeps the request open until it closes. */
function acceptSocket(state: RequestState, response: Response, webSocket: Parameters<typeof handOffToHost>[0]): void {
  state.waiting++;
  let open = true;
  const ended = () => {
    if (!open) return;
    open = false;
    state.waiting--;
    if (state.waiting === 0 && state.responded) state.onIdle();
  };
  try {
    handOffToHost(webSocket, state.reqId, ended);
  } catch (err) {
    ended();
    throw err;
  }
  deliver(state, response, null);
}

function finish(state: RequestState): void {
  if (state.responded) return;
  state.responded = true;
  if (state.waiting === 0) state.onIdle();
}

/** Host entry. Never throws: whatever the tenant does is reported as this request's failure. */
export function dispatchFetch(reqId: number, method: string, url: string, headers: string, body: ArrayBuffer | null | true, cfJson: string | null, entrypoint?: string | null): void {
  // `entrypoint`: a service binding's named WorkerEntrypoint class.
  const handler = entrypoint === undefined || entrypoint === null ? installedHandler() : handlerFor(entrypoint);
  const state: RequestState = { reqId, responded: false, waiting: 0, onIdle: () => hostNotify(Op.RequestDone, reqId) };
  if (handler === null) {
    fail(reqId, new ErrorCtor('No worker is installed in this isolate.'));
    return;
  }
  // Workers' own words for a request to a worker that exports no fetch handler (a cron-only module).
  if (handler.fetch === null) {
    failAndFinish(state, new ErrorCtor('Handler does not export a fetch() function.'));
    return;
  }
  let result: unknown;
  try {
    const source = body === null ? null : body === true ? incomingBodyStream(reqId) : new Uint8ArrayCtor(body);
    const request = Request.incoming(method, url, Headers.fromRaw(headers, 'immutable'), source, cfJson === null ? undefined : JSONParse(cfJson));
    const ctx = new ExecutionContext(state);
    result = ReflectApply(handler.fetch, handler.self, [request, installedEnv(), ctx]);
  } catch (err) {
    failAndFinish(state, err);
    return;
  }
  try {
    if (Response.isResponse(result)) send(state, result);
    else PromisePrototypeThen(PromiseResolve(result), (r) => send(state, r), (err: unknown) => failAndFinish(state, err));
  } catch (err) {
    // A promise whose own `constructor` getter throws fails Promise.resolve synchronously.
    failAndFinish(state, err);
  }
}
