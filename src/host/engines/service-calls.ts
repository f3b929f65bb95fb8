// Service binding calls across engines. A worker in one engine calls a worker that may live in
// another: the calling engine sends 'sreq' to the supervisor, the supervisor dispatches it as the
// platform dispatches a client's request (the target's routing, rollout, admission and limits) and
// answers 'sres'. Bodies stream both ways over the same credit-based body messages as requests do
// (body-channel.ts); a call's seq is negative, so they never collide with the supervisor's requests.
import type { ServiceAnswer } from '../bindings/service/service-binding.js';
import { isByteSource } from '../isolates/byte-source.js';
import type { IncomingRequest, OutgoingResponse } from '../isolates/request-types.js';
import { MAX_HOPS } from '../outbound/loop-limit.js';
import { BodyPump, BodyReceiver, parseBodyMessage, type BodyMessage } from './body-channel.js';
import type { FromEngine, ServiceRequest, ToEngine } from './engine-protocol.js';
import { isRpcMethodName } from '../bindings/service/rpc-codec.js';

/** How the supervisor answers a call: the caller's version id and binding index, and the request. */
export type ServiceCallDispatch = (callerVersionId: string, binding: number, request: IncomingRequest) => Promise<ServiceAnswer>;

const TRACE_ID = /^[0-9A-Za-z._-]{1,128}$/;
const METHOD = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,32}$/;
// A W3C span id, as the OTLP export and a traceparent need it: 16 lower-case hex digits, not all zero.
const SPAN_ID = /^(?!0{16})[0-9a-f]{16}$/;

/** A body message of a service call (negative seq), routed to the side's pumps or receivers. */
function routeBody(message: BodyMessage, pumps: Map<number, BodyPump>, receivers: Map<number, BodyReceiver>): void {
  switch (message.t) {
    case 'chunk': receivers.get(message.seq)?.push(message.c === null || Buffer.isBuffer(message.c) ? message.c
      : Buffer.from(message.c.buffer, message.c.byteOffset, message.c.byteLength)); return;
    case 'abort': receivers.get(message.seq)?.fail(message.m); return;
    case 'credit': pumps.get(message.seq)?.credit(message.n); return;
    case 'cancel': pumps.get(message.seq)?.cancel('The other side stopped reading the body.'); return;
  }
}

/** The engine's side: sends its workers' calls and hands back the answers. */
export class ServiceCallClient {
  readonly #send: (message: FromEngine) => void;
  readonly #pending = new Map<number, (answer: ServiceAnswer) => void>();
  /** Request bodies going out, response bodies coming in; by call seq. */
  readonly #pumps = new Map<number, BodyPump>();
  readonly #receivers = new Map<number, BodyReceiver>();
  #seq = 0;

  constructor(send: (message: FromEngine) => void) {
    this.#send = send;
  }

  call(versionId: string, binding: number, request: IncomingRequest): Promise<ServiceAnswer> {
    const seq = --this.#seq;
    let body = request.body;
    if (isByteSource(body)) {
      this.#pumps.set(seq, new BodyPump(seq, body, this.#send, () => this.#pumps.delete(seq)));
      body = true as never;
    }
    return new Promise((resolve) => {
      this.#pending.set(seq, resolve);
      const r: ServiceRequest = [seq, versionId, binding, request.method, request.url, request.headers, body as ArrayBuffer | null | true, request.traceId, request.hops ?? 0];
      if (request.rpc !== undefined || request.parentSpanId !== undefined) r.push(request.rpc?.method ?? null);
      if (request.parentSpanId !== undefined) r.push(request.parentSpanId);
      this.#send({ t: 'sreq', r });
    });
  }

  /** True when `message` belongs to a service call (and has been handled). */
  receive(message: ToEngine): boolean {
    if (message.t === 'sres') {
      this.#answer(message);
      return true;
    }
    if ((message.t === 'chunk' || message.t === 'abort' || message.t === 'credit' || message.t === 'cancel') && message.seq < 0) {
      routeBody(message, this.#pumps, this.#receivers);
      return true;
    }
    return false;
  }

  #answer(message: Extract<ToEngine, { t: 'sres' }>): void {
    const { seq } = message;
    const resolve = this.#pending.get(seq);
    if (resolve === undefined) return;
    this.#pending.delete(seq);
    // A request body lives as long as its response: a streamed response may still be reading it.
    const endUpload = () => this.#pumps.get(seq)?.cancel('The response is complete.');
    if ('error' in message) {
      endUpload();
      resolve({ error: message.error });
      return;
    }
    const [status, statusText, headers, body] = message.r;
    let out: OutgoingResponse['body'];
    if (body === true) {
      const receiver = new BodyReceiver(seq, this.#send, () => { this.#receivers.delete(seq); endUpload(); });
      this.#receivers.set(seq, receiver);
      out = receiver;
    } else {
      endUpload();
      out = body instanceof Uint8Array && !Buffer.isBuffer(body) ? Buffer.from(body.buffer, body.byteOffset, body.byteLength) : body;
    }
    resolve({ status, statusText, headers, body: out });
  }

  /** The engine is stopping: calls waiting get an error, bodies in flight fail. */
  close(): void {
    for (const resolve of this.#pending.values()) resolve({ error: 'The engine is shutting down.' });
    this.#pending.clear();
    for (const receiver of [...this.#receivers.values()]) receiver.fail('The engine is shutting down.');
    for (const pump of [...this.#pumps.values()]) pump.cancel('The engine is shutting down.');
  }
}

/** The supervisor's side, one per engine: checks each call from the engine and dispatches it. */
export class ServiceCallServer {
  readonly #send: (message: ToEngine) => void;
  readonly #dispatch: ServiceCallDispatch;
  readonly #knows: (versionId: string) => boolean;
  /** Request bodies coming in, response bodies going out; by call seq. */
  readonly #receivers = new Map<number, BodyReceiver>();
  readonly #pumps = new Map<number, BodyPump>();
  readonly #calls = new Set<number>();
  #closed = false;

  /** `knows`: whether the engine holds that version (an engine may only call for its own workers). */
  constructor(send: (message: ToEngine) => void, dispatch: ServiceCallDispatch, knows: (versionId: string) => boolean) {
    this.#send = send;
    this.#dispatch = dispatch;
    this.#knows = knows;
  }

  /** True when `m` (unchecked, from an engine) belongs to a service call; malformed calls are dropped. */
  receive(m: Record<string, unknown>): boolean {
    if (m.t === 'sreq') {
      this.#call(m.r);
      return true;
    }
    if ((m.t === 'chunk' || m.t === 'abort' || m.t === 'credit' || m.t === 'cancel') && typeof m.seq === 'number' && m.seq < 0) {
      const body = parseBodyMessage(m);
      if (body !== null) routeBody(body, this.#pumps, this.#receivers);
      return true;
    }
    return false;
  }

  #call(r: unknown): void {
    if (!Array.isArray(r) || r.length < 9 || r.length > 11) return;
    const [seq, versionId, binding, method, url, headers, body, traceId, hops, rpc, parentSpanId] = r as unknown[];
    if (typeof seq !== 'number' || !Number.isInteger(seq) || seq >= 0 || this.#calls.has(seq)) return;
    const refuse = (error: string) => this.#send({ t: 'sres', seq, error });
    if (typeof versionId !== 'string' || !this.#knows(versionId) || typeof binding !== 'number' || !Number.isInteger(binding) || binding < 0
      || typeof method !== 'string' || !METHOD.test(method) || typeof url !== 'string' || URL.parse(url) === null
      || typeof headers !== 'string' || typeof traceId !== 'string' || !TRACE_ID.test(traceId)
      || typeof hops !== 'number' || !Number.isInteger(hops) || hops < 1 || hops >= MAX_HOPS
      || !(body === null || body === true || body instanceof ArrayBuffer || body instanceof Uint8Array)
      || (rpc !== undefined && rpc !== null && !isRpcMethodName(rpc))
      || (parentSpanId !== undefined && (typeof parentSpanId !== 'string' || !SPAN_ID.test(parentSpanId)))) {
      refuse('The service binding call was malformed.');
      return;
    }
    this.#calls.add(seq);
    let sent: IncomingRequest['body'];
    if (body === true) {
      const receiver = new BodyReceiver(seq, this.#send, () => this.#receivers.delete(seq));
      this.#receivers.set(seq, receiver);
      sent = receiver;
    } else if (body instanceof Uint8Array) {
      sent = body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer;
    } else {
      sent = body;
    }
    const endUpload = () => this.#receivers.get(seq)?.cancel();
    this.#dispatch(versionId, binding, {
      method, url, headers, body: sent, traceId, hops,
      ...(typeof rpc === 'string' ? { rpc: { method: rpc } } : {}),
      ...(typeof parentSpanId === 'string' ? { parentSpanId } : {}),
    }).then((answer) => {
      this.#calls.delete(seq);
      if (this.#closed) {
        if (!('error' in answer) && isByteSource(answer.body)) answer.body.cancel('The calling engine stopped.');
        return;
      }
      if ('error' in answer) { endUpload(); refuse(answer.error); return; }
      const { status, statusText, headers: head, body: out } = answer;
      if (!isByteSource(out)) {
        endUpload();
        this.#send({ t: 'sres', seq, r: [status, statusText, head, out] });
        return;
      }
      this.#send({ t: 'sres', seq, r: [status, statusText, head, true] });
      this.#pumps.set(seq, new BodyPump(seq, out, this.#send, () => { this.#pumps.delete(seq); endUpload(); }));
    }, (err: unknown) => {
      this.#calls.delete(seq);
      endUpload();
      if (!this.#closed) refuse(`The service binding call failed: ${err instanceof Error ? err.message : String(err)}`);
    });
  }

  /** The engine is gone: bodies it was sending fail, bodies going to it are canceled. */
  close(): void {
    this.#closed = true;
    for (const receiver of [...this.#receivers.values()]) receiver.fail('The calling engine stopped.');
    for (const pump of [...this.#pumps.values()]) pump.cancel('The calling engine stopped.');
  }
}
