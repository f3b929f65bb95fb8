// The host half of a service binding: a subrequest that goes to another worker on this server instead
// of the network. It plugs into the subrequest table as its sender, so the caller's side (handles,
// body streaming both ways, abort, the untouched-body pass-through) is the same code as fetch(); only
// the transport differs. Where the target runs is the dispatcher's business: a worker in this process
// (`islet dev`, `islet start`, embedding) or, under `islet serve`, whatever engine the target's own
// deployment picks, through the supervisor.
// @see https://developers.cloudflare.com/workers/runtime-apis/bindings/service-bindings/
import { ErrorKind, type HostReply } from '../../../shared/boundary.js';
import { isByteSource, type ByteSource } from '../../isolates/byte-source.js';
import { fail, typeError } from '../../isolates/host-ops/reply.js';
import type { RequestContext } from '../../isolates/request-context.js';
import type { IncomingRequest, OutgoingResponse } from '../../isolates/request-types.js';
import { MAX_HOPS } from '../../outbound/loop-limit.js';
import { decodeHeaders, encodeHeaders, type SubrequestHead, type SubrequestInit } from '../../outbound/outbound-fetch.js';
import { encodeArgs, isRpcMethodName, MAX_RPC_BYTES, readRpcAnswer } from './rpc-codec.js';

/** What a dispatcher answers: the target's response, or why the call could not reach it (a TypeError for the caller). */
export type ServiceAnswer = OutgoingResponse | { error: string };
export type ServiceDispatch = (request: IncomingRequest) => Promise<ServiceAnswer>;

/** As for a client's request body (the front door's limit). */
export const MAX_SERVICE_REQUEST_BODY = 100 * 1024 * 1024;

// Transport headers are the host's to set; the hop count is the host's, so a tenant cannot reset it.
const DROPPED_HEADERS = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'host', 'upgrade', 'x-islet-via']);

export const SERVICE_LOOP = `Loop Detected: this call would be worker invocation ${MAX_HOPS + 1} in one chain of requests `
  + `(service bindings calling each other?); a chain may be at most ${MAX_HOPS} invocations long.`;

export class ServiceBinding {
  /** The name of the worker the binding points at, as configured. */
  readonly service: string;
  readonly #dispatch: ServiceDispatch;

  constructor(service: string, dispatch: ServiceDispatch) {
    this.service = service;
    this.#dispatch = dispatch;
  }

  /**
   * A JavaScript RPC call (`env.X.method(...args)`): the target's WorkerEntrypoint runs the method as
   * an invocation of its own, like a fetch through the binding. `args` were copied out of the caller's
   * isolate; the result is cloned back into it. Never rejects.
   */
  async call(method: unknown, args: unknown, ctx: RequestContext): Promise<HostReply> {
    if (!isRpcMethodName(method) || !Array.isArray(args)) return typeError('Invalid RPC call on a service binding.');
    const hops = ctx.hops + 1;
    if (hops >= MAX_HOPS) return fail(ErrorKind.Error, SERVICE_LOOP);
    let body: ArrayBuffer | null;
    try {
      body = encodeArgs(args);
    } catch {
      return fail(ErrorKind.DataCloneError, `Could not serialize the arguments of ${method}().`);
    }
    if (body === null) return fail(ErrorKind.RangeError, `The arguments of ${method}() exceed the limit of ${MAX_RPC_BYTES} bytes.`);
    const request: IncomingRequest = {
      method: 'POST', url: `http://${this.service}/`, headers: '', body, traceId: ctx.traceId, hops, rpc: { method },
      ...(ctx.spanId !== null ? { parentSpanId: ctx.spanId } : {}),
    };
    try {
      const answer = await this.#dispatch(request);
      if ('error' in answer) return typeError(answer.error);
      return await readRpcAnswer(answer, this.service);
    } catch (err) {
      return typeError(`The service binding to "${this.service}" failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /**
   * A subrequest sender (host-ops/subrequest-table.ts): the request goes to the target worker as an
   * invocation of its own (its own limits, CPU budget and subrequest count), carrying the caller's
   * trace id and one more hop. Never rejects.
   */
  readonly send = async (init: SubrequestInit, body: string | ArrayBuffer | AsyncIterable<Uint8Array> | null,
    controller: AbortController, ctx: RequestContext): Promise<SubrequestHead | HostReply> => {
    const hops = ctx.hops + 1;
    if (hops >= MAX_HOPS) return fail(ErrorKind.Error, SERVICE_LOOP);
    const headers = decodeHeaders(init.headers).filter(([name]) => !DROPPED_HEADERS.has(name.toLowerCase()));
    headers.push(['host', init.url.host]);
    let sent: ArrayBuffer | ByteSource | null;
    if (body === null) sent = null;
    else if (typeof body === 'string' || body instanceof ArrayBuffer) {
      const bytes = typeof body === 'string' ? Buffer.from(body) : Buffer.from(body);
      headers.push(['content-length', String(bytes.byteLength)]);
      sent = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    } else {
      sent = sourceOf(body, controller);
    }
    const request: IncomingRequest = {
      method: init.method, url: init.url.href, headers: encodeHeaders(headers), body: sent, traceId: ctx.traceId, hops,
      // The target's span is a child of the calling request's, as it is for a subrequest over HTTP.
      ...(ctx.spanId !== null ? { parentSpanId: ctx.spanId } : {}),
    };
    let answer: ServiceAnswer;
    try {
      answer = await this.#dispatch(request);
    } catch (err) {
      return typeError(`The service binding to "${this.service}" failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    if ('error' in answer) return typeError(answer.error);
    if (controller.signal.aborted) {
      if (isByteSource(answer.body)) answer.body.cancel('The service binding call was aborted.');
      return fail(ErrorKind.Error, 'The subrequest was aborted.');
    }
    return {
      status: answer.status, statusText: answer.statusText, headers: answer.headers,
      url: init.url.href, redirected: false, body: streamOf(answer.body),
    };
  };
}

/** The request body the caller's isolate writes, as the target reads it; past the limit it fails. */
function sourceOf(iterable: AsyncIterable<Uint8Array>, controller: AbortController): ByteSource {
  const iterator = iterable[Symbol.asyncIterator]();
  let total = 0;
  return {
    async read() {
      const next = await iterator.next();
      if (next.done === true) return null;
      total += next.value.byteLength;
      if (total > MAX_SERVICE_REQUEST_BODY) {
        controller.abort();
        throw new TypeError(`The request body exceeds the limit of ${MAX_SERVICE_REQUEST_BODY} bytes.`);
      }
      return next.value;
    },
    cancel() {
      void iterator.return?.();
    },
  };
}

/** The target's response body as the stream the subrequest table reads, pulled only as the caller asks. */
function streamOf(body: OutgoingResponse['body']): ReadableStream<Uint8Array> | null {
  if (body === null) return null;
  if (!isByteSource(body)) {
    const bytes = typeof body === 'string' ? Buffer.from(body) : body;
    if (bytes.byteLength === 0) return null;
    return new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
        controller.close();
      },
    });
  }
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const chunk = await body.read();
      if (chunk === null) controller.close();
      else controller.enqueue(chunk);
    },
    cancel(reason) {
      body.cancel(typeof reason === 'string' ? reason : 'The caller stopped reading the response body.');
    },
  }, { highWaterMark: 0 });
}
