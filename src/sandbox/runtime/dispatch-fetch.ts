// Runs one fetch event: builds the Request, calls the tenant's handler, and sends the Response out
// through the bridge as soon as it is ready, before any waitUntil work finishes.
import { ErrorKind, Op } from '../../shared/boundary.js';
import { hostNotify } from '../bootstrap/host.js';
import { BodyHolder } from '../web/fetch/body.js';
import { Headers } from '../web/fetch/headers.js';
import { Request } from '../web/fetch/request.js';
import { Response } from '../web/fetch/response.js';
import { ExecutionContext, type RequestState } from './execution-context.js';
import { installedEnv, installedHandler } from './worker-module.js';

// Buffered response bodies are capped so one response cannot fill the isolate's heap twice over.
const MAX_RESPONSE_BODY = 128 * 1024 * 1024;

function fail(reqId: number, err: unknown): void {
  const message = err instanceof Error ? (err.stack ?? `${err.name}: ${err.message}`) : `Uncaught ${String(err)}`;
  hostNotify(Op.Fail, reqId, ErrorKind.Error, message);
}

function deliver(state: RequestState, response: Response, body: string | ArrayBuffer | null): void {
  hostNotify(Op.Respond, state.reqId, response.status, response.statusText, Headers.encode(response.headers), body);
  finish(state);
}

function send(state: RequestState, result: unknown): void {
  if (!(result instanceof Response)) {
    fail(state.reqId, new TypeError("Incorrect type for Promise: the Promise did not resolve to 'Response'."));
    finish(state);
    return;
  }
  // Strings and bytes leave in this same turn; only a stream body needs reading first.
  if (!BodyHolder.hasStreamBody(result)) {
    let body: string | ArrayBuffer | null;
    try { body = BodyHolder.takeForHost(result); } catch (err) { fail(state.reqId, err); finish(state); return; }
    deliver(state, result, body);
    return;
  }
  BodyHolder.bodyForHost(result, MAX_RESPONSE_BODY).then(
    (body) => deliver(state, result, body),
    (err: unknown) => { fail(state.reqId, err); finish(state); },
  );
}

function finish(state: RequestState): void {
  state.responded = true;
  if (state.waiting === 0) state.onIdle();
}

/** Host entry. */
export function dispatchFetch(reqId: number, method: string, url: string, headers: string, body: ArrayBuffer | null, cfJson: string | null): void {
  const handler = installedHandler();
  const state: RequestState = { reqId, responded: false, waiting: 0, onIdle: () => hostNotify(Op.RequestDone, reqId) };
  if (handler === null) {
    fail(reqId, new Error('No worker is installed in this isolate.'));
    return;
  }
  const request = Request.incoming(method, url, Headers.fromRaw(headers, 'immutable'), body === null ? null : new Uint8Array(body), cfJson === null ? undefined : JSON.parse(cfJson));
  const ctx = new ExecutionContext(state);
  let result: unknown;
  try {
    result = handler.fetch.call(handler.self, request, installedEnv(), ctx);
  } catch (err) {
    fail(reqId, err);
    finish(state);
    return;
  }
  if (result instanceof Response) send(state, result);
  else Promise.resolve(result).then((r) => send(state, r), (err: unknown) => { fail(reqId, err); finish(state); });
}

