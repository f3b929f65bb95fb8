// One worker living in one isolate: runs its requests concurrently, answers its bridge calls, and
// enforces its limits from outside. All isolate execution happens in short synchronous calls on this
// thread, each bounded by the calling request's remaining CPU budget; nothing the tenant does can
// hold the thread longer than that.
// Over 600 lines because every event kind (fetch, scheduled, queue, RPC, object, socket) shares the
// request lifecycle kept here; the binding ops' switch is the next thing to move out, to a table per kind.
import { ErrorKind, LogLevel, Op, type HostReply } from '../../shared/boundary.js';
import { analyticsOp, type AnalyticsBinding } from '../bindings/analytics/analytics-binding.js';
import type { KvBinding } from '../bindings/kv/kv-binding.js';
import { isObjectOp, type ObjectEvent, type ObjectOps } from '../bindings/durable-objects/object-ops.js';
import { OBJECT_CPU_LIMIT } from '../bindings/durable-objects/object-errors.js';
import type { ServiceBinding } from '../bindings/service/service-binding.js';
import { decodeArgs, rpcResponse } from '../bindings/service/rpc-codec.js';
import type { QueueBinding } from '../bindings/queues/queue-binding.js';
import { decodeBatch, outcomeResponse } from '../bindings/queues/queue-codec.js';
import { kvOp } from '../bindings/kv/kv-ops.js';
import type { CacheBinding } from '../bindings/cache/cache-binding.js';
import { cacheOp } from '../bindings/cache/cache-ops.js';
import type { LogSink } from '../observability/log-sink.js';
import type { WorkerMeter } from '../observability/usage/engine-usage.js';
import { operationSeries } from '../observability/usage/usage-ops.js';
import type { Outbound } from '../outbound/outbound-fetch.js';
import type { WorkerLimits } from '../workers/worker-config.js';
import type { CallOutcome, SandboxIsolate } from './bridge/sandbox-isolate.js';
import { compressionOp } from './host-ops/compression-ops.js';
import { cryptoAsyncOp, cryptoSyncOp } from './host-ops/crypto-ops.js';
import { dropCompressionTable } from './host-ops/compression-table.js';
import { dropCryptoTable } from './host-ops/crypto-table.js';
import { SubrequestTable, guarded } from './host-ops/subrequest-table.js';
import { fail, ok, typeError } from './host-ops/reply.js';
import { MAX_RESPONSE_BODY, oversizeBody, withoutRuntimeFrames } from './host-ops/tenant-output.js';
import * as web from './host-ops/web-ops.js';
import { isByteSource, type ByteSource } from './byte-source.js';
import { IsolateBodyStream } from './isolate-body-stream.js';
import { RequestContext } from './request-context.js';
import { IsolateSockets } from './sockets/isolate-sockets.js';
import { CloseCode, type WorkerSocket } from './sockets/socket-types.js';
import { platformResponse, type IncomingRequest, type OutgoingResponse, type PlatformFailure } from './request-types.js';

export interface WorkerServices {
  log: LogSink;
  kv: readonly KvBinding[];
  /** Analytics Engine datasets, by binding index. */
  analytics?: readonly AnalyticsBinding[];
  /** The Cache API (`caches`) of this worker's partition; without one, the cache stores nothing. */
  cache?: CacheBinding;
  outbound: Outbound;
  /** Service bindings, by binding index: subrequests to other workers on this server. */
  services?: readonly ServiceBinding[];
  /** Told before every call into the isolate: engine processes record whose code is running (src/host/engines). */
  beforeCall?: (ctx: RequestContext | null) => void;
  /** Durable Object namespaces, stubs and storage (bindings/durable-objects). */
  objects?: ObjectOps;
  /** Queue producers, by binding index. */
  queues?: readonly QueueBinding[];
  /** Where the worker's subrequests and binding operations are counted (engines report it as metrics). */
  usage?: WorkerMeter;
}

/** Workers' error once a request has used up its subrequests. */
const TOO_MANY_SUBREQUESTS = fail(0, 'Too many subrequests.');
/** Workers lets waitUntil work run this long after the response. */
const WAIT_UNTIL_MS = 30_000;
/** @see https://developers.cloudflare.com/kv/platform/limits/ */
const MAX_KV_OPERATIONS = 1_000;
/** Host entries not charged to a request (install, timer cleanup) get this budget. */
const SYSTEM_CALL_MS = 1_000;

/**
 * The limit is on CPU time, which V8 measures (isolate.cpuTime) and #overBudget enforces after each
 * call. isolated-vm can only interrupt a call by wall-clock time, so a call may run for twice the CPU
 * time left (plus a little): a loop is still cut off promptly, and a request on a machine too busy to
 * schedule it is not killed for time it never got to use.
 */
function wallAllowance(cpuBudgetMs: number): number {
  return cpuBudgetMs * 2 + 10;
}

/** The rest of a streamed body in one buffer (the source enforces the size limit as it goes). */
async function readRest(source: ByteSource): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for (let chunk = await source.read(); chunk !== null; chunk = await source.read()) chunks.push(chunk);
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

export class WorkerInstance {
  readonly name: string;
  readonly sandbox: SandboxIsolate;
  readonly #limits: WorkerLimits;
  readonly #services: WorkerServices;
  readonly #requests = new Map<number, RequestContext>();
  readonly #subrequests: SubrequestTable;
  readonly #sockets: IsolateSockets;
  #current: RequestContext | null = null;
  /** Calls into the isolate on the stack: a body pull asked for meanwhile waits for them to return. */
  #depth = 0;
  #nextReqId = 1;
  #pendingOps = 0;
  #liveTimers = 0;
  #dead: PlatformFailure | null = null;
  #arrivals: { request: IncomingRequest; resolve: (response: OutgoingResponse) => void }[] = [];
  /** Called once when this instance can serve no more requests (limit breach, OOM). */
  onDead: (reason: PlatformFailure) => void = () => {};

  constructor(name: string, sandbox: SandboxIsolate, limits: WorkerLimits, services: WorkerServices) {
    this.name = name;
    this.sandbox = sandbox;
    this.#limits = limits;
    this.#services = services;
    this.#subrequests = new SubrequestTable(services.outbound, () => this.#current);
    this.#sockets = new IsolateSockets({
      deliver: (ctx, args) => {
        if (ctx.ended || this.#dead !== null) return;
        ctx.beginEvent();
        this.#enter(ctx, 'socketEvent', args);
      },
      busy: () => this.#depth > 0,
      current: () => this.#current,
    });
    sandbox.setHandler((op, args) => this.#handle(op, args));
  }

  get dead(): boolean { return this.#dead !== null; }
  get inFlight(): number { return this.#requests.size; }

  /** Requests (and object events) answered whose waitUntil work still runs: no body streaming, no socket open. */
  get waitUntilPending(): number {
    let pending = 0;
    for (const ctx of this.#requests.values()) {
      if (ctx.responded && ctx.openSockets === 0 && (ctx.responseBody === null || !ctx.responseBody.open)) pending++;
    }
    return pending;
  }

  /** Takes the instance out of service (reload, shutdown): requests still in it are answered 503. */
  retire(): void {
    if (this.#dead !== null) return;
    this.#dead = 'overloaded';
    for (const ctx of [...this.#requests.values()]) {
      this.#respond(ctx, platformResponse(503, 'Service Unavailable: the worker was replaced while handling this request.\n', 'unavailable'));
      this.#sockets.endRequest(ctx, CloseCode.ServiceRestart, 'The worker was replaced.');
      this.#end(ctx);
    }
    this.sandbox.dispose();
    this.#subrequests.close();
    dropCryptoTable(this);
    dropCompressionTable(this);
  }

  fetch(request: IncomingRequest): Promise<OutgoingResponse> {
    if (this.#dead !== null) return Promise.resolve(platformResponse(503, 'Service Unavailable: the worker is restarting.', 'unavailable'));
    return new Promise((resolve) => {
      this.#arrivals.push({ request, resolve });
      if (this.#arrivals.length === 1) setImmediate(this.#dispatchArrivals);
    });
  }

  /**
   * Requests that arrive in one turn of the event loop are dispatched back to back, after the turn's
   * network work: the isolate's code and heap then stay hot in the CPU caches from one call to the
   * next, which under load halves the cost of each call. Each request still gets its own call, so
   * everything it starts is charged to it.
   */
  readonly #dispatchArrivals = (): void => {
    const batch = this.#arrivals;
    this.#arrivals = [];
    for (const { request, resolve } of batch) {
      if (this.#dead !== null) { resolve(platformResponse(503, 'Service Unavailable: the worker is restarting.', 'unavailable')); continue; }
      const ctx = new RequestContext(this.#nextReqId++, request.traceId, resolve);
      ctx.hops = request.hops ?? 0;
      ctx.spanId = request.spanId ?? null;
      this.#requests.set(ctx.id, ctx);
      let body = request.body;
      if (isByteSource(body)) {
        ctx.requestBody = body;
        body = true as never;
      }
      if (request.scheduled !== undefined) this.#enter(ctx, 'dispatchScheduled', [ctx.id, request.scheduled.cron, request.scheduled.scheduledTime]);
      else if (request.queue !== undefined) this.#enterQueue(ctx, request.queue.queue, body);
      else if (request.rpc !== undefined) this.#enterRpc(ctx, request.rpc.method, request.entrypoint ?? null, body);
      else if (request.entrypoint !== undefined) this.#enter(ctx, 'dispatchFetch', [ctx.id, request.method, request.url, request.headers, body, null, request.entrypoint]);
      else this.#enter(ctx, 'dispatchFetch', [ctx.id, request.method, request.url, request.headers, body, null]);
      // Most requests are over by now; a timer is only armed for those still waiting on something.
      if (!ctx.ended && !ctx.responded) ctx.wallTimer = setTimeout(() => this.#wallClockExpired(ctx), this.#limits.wallMs);
    }
  };

  /** A service binding's RPC call: the outcome comes back as DoEventResult and leaves as an RPC response. */
  #enterRpc(ctx: RequestContext, method: string, entrypoint: string | null, body: unknown): void {
    const args = decodeArgs(body instanceof ArrayBuffer ? body : null);
    if (args === null) { this.#respond(ctx, rpcResponse(false, ['TypeError', 'The RPC arguments could not be read.']), true); return; }
    ctx.settle = (success, value) => ctx.resolve(rpcResponse(success, value));
    this.#enter(ctx, 'dispatchRpc', [ctx.id, entrypoint, method, args]);
  }

  /** A queue batch: queue() runs on it; its outcome comes back as DoEventResult and leaves as the batch's outcome. */
  #enterQueue(ctx: RequestContext, queue: string, body: unknown): void {
    const messages = decodeBatch(body);
    if (messages === null) { this.#respond(ctx, outcomeResponse(false, null, 0), true); return; }
    ctx.settle = (success, value) => ctx.resolve(outcomeResponse(success, value, messages.length));
    this.#enter(ctx, 'dispatchQueue', [ctx.id, queue, messages]);
  }

  // --- calls into the isolate -------------------------------------------------------------------

  #enter(ctx: RequestContext | null, entry: 'dispatchFetch' | 'dispatchScheduled' | 'complete' | 'fireTimer' | 'pullBody' | 'socketEvent' | 'dispatchObject' | 'dispatchRpc' | 'dispatchQueue', args: unknown[]): void {
    if (this.#dead !== null) return;
    const previous = this.#current;
    this.#current = ctx;
    const budget = ctx === null ? SYSTEM_CALL_MS : this.#limits.cpuMs - (ctx.cpuMs - ctx.cpuBaseMs);
    let outcome: CallOutcome;
    this.#services.beforeCall?.(ctx);
    this.#depth++;
    try {
      outcome = this.sandbox.call(entry, args, wallAllowance(budget));
    } finally {
      this.#depth--;
      this.#current = previous;
    }
    if (ctx !== null) ctx.cpuMs += outcome.cpuMs;
    if (outcome.ok && outcome.unhandledRejection !== undefined) {
      this.#services.log.workerError(this.name, ctx?.traceId ?? null, `Uncaught (in promise) ${withoutRuntimeFrames(outcome.unhandledRejection)}`);
    }
    if (!outcome.ok) {
      if (outcome.reason === 'cpu-limit' && ctx !== null && ctx.onCpuLimit !== null && !this.sandbox.disposed) {
        this.#objectOverBudget(ctx);
        if (previous === null) this.#detectHung();
        return;
      }
      this.#fatal(ctx, outcome.reason === 'exception' ? 'exception' : outcome.reason === 'cpu-limit' ? 'cpu-limit' : 'memory-limit', outcome.message);
      return;
    }
    if (ctx !== null && !ctx.ended && ctx.cpuMs - ctx.cpuBaseMs > this.#limits.cpuMs) this.#overBudget(ctx);
    if (previous === null) this.#detectHung();
  }

  /**
   * Many short calls (a flood of timers) can add up past the budget without any single one being
   * interrupted. The isolate is intact, so only this request is stopped: its timers go and its
   * late completions are dropped.
   */
  #overBudget(ctx: RequestContext): void {
    if (ctx.onCpuLimit !== null) { this.#objectOverBudget(ctx); return; }
    this.#services.log.workerError(this.name, ctx.traceId, 'Worker exceeded its CPU time limit.');
    this.#respond(ctx, platformResponse(503, 'Worker exceeded its CPU time limit.\n', 'cpu_limit'));
    this.#end(ctx);
  }

  /**
   * A Durable Object's event past its CPU budget, as Cloudflare treats it: the object is reset and the
   * stub's caller gets an error it can catch. The call was interrupted, not the isolate: isolated-vm
   * cancels the termination once the call has unwound, so the worker's other requests (the caller's
   * too, when it runs here) carry on. Module-level state the interrupted code was changing is left as it
   * was, as it is after a handler throws.
   */
  #objectOverBudget(ctx: RequestContext): void {
    this.#services.log.workerError(this.name, ctx.traceId, OBJECT_CPU_LIMIT);
    const reset = ctx.onCpuLimit;
    ctx.onCpuLimit = null;
    reset?.();
    this.#respond(ctx, platformResponse(503, 'Worker exceeded its CPU time limit.\n', 'cpu_limit'));
    this.#end(ctx);
  }

  /** A limit breach or a broken isolate: the isolate goes, and so do the requests running in it. */
  #fatal(ctx: RequestContext | null, reason: PlatformFailure, detail: string): void {
    const message = reason === 'cpu-limit' ? 'Worker exceeded its CPU time limit.'
      : reason === 'memory-limit' ? 'Worker exceeded its memory limit.'
      : 'Worker threw an exception the runtime could not handle.';
    this.#services.log.workerError(this.name, ctx?.traceId ?? null, `${message} ${reason === 'exception' ? detail : ''}`.trim());
    this.#dead = reason;
    const failure = reason === 'cpu-limit' ? 'cpu_limit' : reason === 'memory-limit' ? 'memory_limit' : 'exception';
    for (const other of [...this.#requests.values()]) {
      const own = other === ctx || reason === 'exception';
      this.#respond(other, platformResponse(reason === 'exception' ? 500 : 503, own
        ? `${message}\n` : 'Service Unavailable: the worker was restarted while handling this request.\n', own ? failure : 'unavailable'));
      this.#end(other);
    }
    this.sandbox.dispose();
    this.#subrequests.close();
    dropCryptoTable(this);
    dropCompressionTable(this);
    this.onDead(reason);
  }

  /**
   * Nothing can resume a request when the isolate has no pending host operation and no timer: its
   * promise will never settle. Workers reports this the same way.
   */
  #detectHung(): void {
    if (this.#pendingOps > 0 || this.#liveTimers > 0 || this.#dead !== null) return;
    for (const ctx of [...this.#requests.values()]) {
      // An open WebSocket is not stuck: its client's next message resumes the worker.
      if (ctx.openSockets > 0) continue;
      const stream = ctx.responseBody;
      // A body the client has not asked more of yet is not stuck: the next pull resumes it.
      if (stream !== null && stream.open && !stream.awaitingChunk) continue;
      if (!ctx.responded || (stream !== null && stream.open)) {
        this.#services.log.workerError(this.name, ctx.traceId, 'The script will never generate a response.');
        this.#respond(ctx, platformResponse(500, 'Internal Server Error\n', 'exception'));
      }
      this.#end(ctx);
    }
  }

  #wallClockExpired(ctx: RequestContext): void {
    ctx.wallTimer = null;
    if (ctx.ended) return;
    if (!ctx.responded) {
      this.#services.log.workerError(this.name, ctx.traceId, `Worker exceeded its wall-clock limit of ${this.#limits.wallMs} ms.`);
      this.#respond(ctx, platformResponse(503, 'Worker exceeded its wall-clock time limit.\n', 'wall_limit'));
      // The tenant's code is idle (it is waiting on I/O or a timer), so the isolate stays.
      this.#end(ctx);
    }
  }

  /** `done`: the tenant has nothing left to run for this request (no waitUntil work pending). */
  #respond(ctx: RequestContext, response: OutgoingResponse, done = false): void {
    if (ctx.responded) return;
    ctx.responded = true;
    ctx.resolve(response);
    if (done) { this.#end(ctx); return; }
    if (ctx.wallTimer !== null) clearTimeout(ctx.wallTimer);
    // While the body streams, its own idle limit applies; waitUntil's time starts when it ends.
    ctx.wallTimer = ctx.ended || response.body === ctx.responseBody ? null : setTimeout(() => this.#end(ctx), WAIT_UNTIL_MS);
  }

  /** The request's context is over: its timers stop and late completions are dropped. */
  #end(ctx: RequestContext): void {
    if (ctx.ended) return;
    ctx.ended = true;
    this.#requests.delete(ctx.id);
    if (ctx.wallTimer !== null) clearTimeout(ctx.wallTimer);
    ctx.wallTimer = null;
    ctx.responseBody?.abort('The request ended before its response body was complete.');
    this.#subrequests.endRequest(ctx);
    this.#sockets.endRequest(ctx);
    ctx.onEnd?.();
    if (ctx.requestBody !== null) {
      ctx.requestBody.cancel('The request ended.');
      ctx.requestBody = null;
    }
    if (ctx.timers.size > 0) {
      const ids = [...ctx.timers.keys()];
      for (const timer of ctx.timers.values()) clearTimeout(timer);
      this.#liveTimers -= ctx.timers.size;
      ctx.timers.clear();
      if (this.#dead === null) this.sandbox.call('dropTimers', [ids], SYSTEM_CALL_MS);
    }
  }

  // --- calls out of the isolate -----------------------------------------------------------------

  #handle(op: number, args: unknown[]): HostReply {
    switch (op) {
      case Op.Respond: return this.#onRespond(args);
      case Op.Fail: return this.#onFail(args);
      case Op.RequestDone: {
        const ctx = this.#ctxOf(args[0]);
        if (ctx !== null) this.#end(ctx);
        return ok(null);
      }
      case Op.Log: {
        const [level, message] = args;
        if (typeof level === 'number' && typeof message === 'string') {
          this.#services.log.console(this.name, this.#current?.traceId ?? null, level as 0, message);
        }
        return ok(null);
      }
      case Op.ResponseChunk: {
        const [reqId, chunk] = args;
        const stream = this.#ctxOf(reqId)?.responseBody;
        if (stream === undefined || stream === null) return ok(null);
        if (!(chunk === null || chunk instanceof ArrayBuffer)) {
          stream.fail('The response body stream produced an invalid chunk.');
          return typeError('invalid chunk');
        }
        stream.push(chunk);
        return ok(null);
      }
      case Op.ResponseError: {
        const [reqId, message] = args;
        const ctx = this.#ctxOf(reqId);
        if (ctx === null || ctx.responseBody === null || !ctx.responseBody.open) return ok(null);
        this.#services.log.workerError(this.name, ctx.traceId,
          `Uncaught ${typeof message === 'string' ? withoutRuntimeFrames(message) : 'exception'} in the response body stream; the response was cut off.`);
        ctx.responseBody.fail(typeof message === 'string' ? message : 'The response body stream failed.');
        return ok(null);
      }
      case Op.RequestBodyRead: return this.#onRequestBodyRead(args);
      case Op.RequestBodyCancel: {
        const ctx = this.#ctxOf(args[0]);
        if (ctx !== null && ctx.requestBody !== null) {
          ctx.requestBody.cancel('The worker canceled the request body.');
          ctx.requestBody = null;
        }
        return ok(null);
      }
      case Op.TimerSet: return this.#onTimerSet(args);
      case Op.TimerClear: return this.#onTimerClear(args);
      case Op.UrlParse: return web.urlParse(args);
      case Op.UrlSearchParse: return web.urlSearchParse(args);
      case Op.UrlSearchSerialize: return web.urlSearchSerialize(args);
      case Op.RandomBytes: return web.randomBytesOp(args);
      case Op.RandomUuid: return web.randomUuidOp();
      case Op.TextDecode: return web.textDecode(args);
      case Op.TextEncode: return web.textEncode(args);
      case Op.StructuredClone: return web.structuredCloneOp(args);
      case Op.KvGet: case Op.KvPut: case Op.KvDelete: case Op.KvList: {
        // Workers allows 1,000 KV operations per invocation (a bulk get counts once).
        if (this.#current !== null && ++this.#current.kvOperations > MAX_KV_OPERATIONS) {
          return fail(0, 'Too many API requests by single worker invocation.');
        }
        const started = performance.now();
        return this.#metered(args[0], operationSeries(op, args), started, kvOp(op, this.#services.kv, args));
      }
      case Op.CacheMatch: case Op.CachePut: case Op.CacheDelete:
        // Cache API calls share the subrequest quota, as on Workers.
        if (this.#current !== null && this.#overSubrequests(this.#current)) return TOO_MANY_SUBREQUESTS;
        return this.#async(args[0], cacheOp(op, this.#services.cache ?? null, args));
      case Op.AnalyticsWrite: return analyticsOp(this.#services.analytics ?? [], this.#current, args);
      case Op.FetchStart: return this.#onFetchStart(args);
      case Op.ServiceFetchStart: return this.#onServiceFetchStart(args);
      case Op.ServiceCall: return this.#onServiceCall(args);
      case Op.QueueSend: {
        const binding = typeof args[1] === 'number' ? this.#services.queues?.[args[1]] : undefined;
        if (binding === undefined) return typeError('This queue binding does not exist.');
        return this.#async(args[0], binding.send(args.slice(2)));
      }
      case Op.FetchResponse: return this.#async(args[0], guarded(() => this.#subrequests.response(args[1])));
      case Op.FetchBodyWrite: return this.#async(args[0], guarded(() => this.#subrequests.write(args[1], args[2])));
      case Op.FetchBodyRead: return this.#async(args[0], guarded(() => this.#subrequests.read(args[1], args[2])));
      case Op.FetchAbort: return guarded(() => this.#subrequests.abort(args[0]));
      case Op.CryptoDigest: case Op.CryptoGenerateKey: case Op.CryptoImportKey: case Op.CryptoExportKey:
      case Op.CryptoSign: case Op.CryptoVerify: case Op.CryptoEncrypt: case Op.CryptoDecrypt:
      case Op.CryptoDeriveBits: case Op.CryptoDeriveKey: case Op.CryptoWrapKey: case Op.CryptoUnwrapKey:
        return this.#async(args[0], cryptoAsyncOp(this, op, args, this.#current !== null));
      case Op.CryptoRelease: case Op.DigestStreamCreate: case Op.DigestStreamWrite: case Op.DigestStreamFinish:
        return cryptoSyncOp(this, op, args);
      case Op.WebSocketOpen: return this.#sockets.openFor(args[0], args[1] ?? null);
      case Op.WebSocketSend: return this.#sockets.send(args);
      case Op.WebSocketClose: return this.#sockets.close(args);
      case Op.CompressionCreate: case Op.CompressionWrite: case Op.CompressionFinish: case Op.CompressionRead: case Op.CompressionRelease:
        return compressionOp(this, op, args);
      case Op.DoEventResult: return this.#onObjectResult(args);
      default: {
        const objects = this.#services.objects;
        if (objects !== undefined && isObjectOp(op)) {
          const series = operationSeries(op, args);
          const started = series < 0 ? 0 : performance.now();
          return this.#metered(args[0], series, started, objects.handle(op, args, this.#current, this));
        }
        return typeError(`Unknown host operation ${String(op)}`);
      }
    }
  }

  /**
   * Runs one Durable Object event in this isolate as a request context of its own, with its own CPU
   * budget; `prepare` sees the context before the call, so the object's storage calls find it.
   */
  dispatchObject(event: ObjectEvent, resolve: (response: OutgoingResponse) => void, settle: (ok: boolean, value: unknown) => void, prepare: (ctx: RequestContext) => void): RequestContext | null {
    if (this.#dead !== null) return null;
    const ctx = new RequestContext(this.#nextReqId++, event.traceId, resolve);
    ctx.settle = settle;
    ctx.hops = event.hops;
    this.#requests.set(ctx.id, ctx);
    prepare(ctx);
    this.#enter(ctx, 'dispatchObject', [ctx.id, event.kind, event.className, event.id, event.name, event.handle, ...event.args]);
    if (!ctx.ended && !ctx.responded) ctx.wallTimer = setTimeout(() => this.#wallClockExpired(ctx), this.#limits.wallMs);
    return ctx;
  }

  /** The runtime forgets a Durable Object's instance (evicted, reset or moved to another version). */
  dropObject(handle: number): void {
    if (this.#dead === null) this.sandbox.call('dropObject', [handle], SYSTEM_CALL_MS);
  }

  /**
   * A Durable Object event that must stop although its code has not finished (its object was reset to
   * run a new version): the WebSockets it holds close with `code`, and it is over.
   */
  endObjectEvent(ctx: RequestContext, code: number, reason: string): void {
    if (ctx.ended || this.#dead !== null) return;
    this.#respond(ctx, platformResponse(503, `Service Unavailable: ${reason}\n`, 'unavailable'));
    this.#sockets.endRequest(ctx, code, reason);
    this.#end(ctx);
  }

  /** An object's RPC or alarm result: like a response, it may leave waitUntil work behind it. */
  #onObjectResult(args: unknown[]): HostReply {
    const [reqId, success, value, done] = args;
    const ctx = this.#ctxOf(reqId);
    if (ctx === null || ctx.settle === null || ctx.responded) return ok(null);
    ctx.responded = true;
    ctx.settle(success === true, value);
    if (done === true) { this.#end(ctx); return ok(null); }
    if (ctx.wallTimer !== null) clearTimeout(ctx.wallTimer);
    ctx.wallTimer = setTimeout(() => this.#end(ctx), WAIT_UNTIL_MS);
    return ok(null);
  }

  #ctxOf(reqId: unknown): RequestContext | null {
    return typeof reqId === 'number' ? this.#requests.get(reqId) ?? null : null;
  }

  /**
   * The reply of a binding operation begun at `startedMs`, counted under `series` (operationSeries;
   * -1: not counted): its count and latency go to the worker's meter when it answers, at once or later.
   */
  #metered(opId: unknown, series: number, startedMs: number, reply: HostReply | Promise<HostReply>): HostReply {
    const meter = series < 0 ? undefined : this.#services.usage;
    if (reply instanceof Promise) return this.#async(opId, reply, meter, series, startedMs);
    meter?.operation(series, startedMs);
    return reply;
  }

  /** Answers at once when the work is done, else parks it and completes it in a later call. */
  #async(opId: unknown, reply: HostReply | Promise<HostReply>, meter?: WorkerMeter, series = -1, startedMs = 0): HostReply {
    if (!(reply instanceof Promise)) return reply;
    const ctx = this.#current;
    if (typeof opId !== 'number' || ctx === null) return typeError('I/O is only possible while handling a request.');
    this.#pendingOps++;
    void reply.then((result) => {
      this.#pendingOps--;
      meter?.operation(series, startedMs);
      if (ctx.ended || this.#dead !== null) return;
      if (result !== undefined && result[0] === 1) this.#enter(ctx, 'complete', [opId, true, result[1]]);
      else this.#enter(ctx, 'complete', [opId, false, result === undefined ? [0, 'Internal error'] : [result[1], result[2]]]);
    });
    return undefined;
  }

  #onRespond(args: unknown[]): HostReply {
    const [reqId, status, statusText, headers, body, done] = args;
    const ctx = this.#ctxOf(reqId);
    if (ctx === null) return ok(null);
    if (typeof status !== 'number' || !Number.isInteger(status) || !(status === 101 || (status >= 200 && status <= 599))
      || typeof statusText !== 'string' || typeof headers !== 'string'
      || !(body === null || body === true || typeof body === 'number' || typeof body === 'string' || body instanceof ArrayBuffer)) {
      this.#respond(ctx, platformResponse(500, 'Internal Server Error\n', 'exception'));
      return typeError('invalid response');
    }
    if (status === 101) return this.#onSocketResponse(ctx, statusText, headers, done === true);
    if (body === true) {
      if (ctx.responded) return ok(null);
      ctx.responseBody = this.#streamOut(ctx);
      this.#respond(ctx, { status, statusText, headers, body: ctx.responseBody });
      return ok(null);
    }
    if (typeof body === 'number') {
      // A subrequest's body the worker did not touch goes to the client straight from undici.
      const source = ctx.responded ? null : this.#subrequests.takeBody(body, ctx);
      if (source === null) {
        if (!ctx.responded) this.#services.log.workerError(this.name, ctx.traceId, 'The response body of the subrequest was no longer available.');
        this.#respond(ctx, platformResponse(500, 'Internal Server Error\n', 'exception'));
        return ok(null);
      }
      this.#respond(ctx, { status, statusText, headers, body: source }, done === true);
      return ok(null);
    }
    const size = oversizeBody(body);
    if (size !== null) {
      this.#services.log.workerError(this.name, ctx.traceId, `The response body of ${size} bytes exceeds the limit of ${MAX_RESPONSE_BODY} bytes.`);
      this.#respond(ctx, platformResponse(500, 'Internal Server Error\n', 'exception'));
      return ok(null);
    }
    this.#respond(ctx, { status, statusText, headers, body: body instanceof ArrayBuffer ? Buffer.from(body) : body }, done === true);
    return ok(null);
  }

  /** A 101 hands out the WebSocket the request opened; the request then lasts as long as the socket. */
  #onSocketResponse(ctx: RequestContext, statusText: string, headers: string, done: boolean): HostReply {
    const socket = ctx.responded ? null : this.#sockets.takePending(ctx);
    if (socket === null) {
      this.#respond(ctx, platformResponse(500, 'Internal Server Error\n', 'exception'));
      return typeError('A response with status 101 needs a webSocket.');
    }
    // `done`: a Durable Object's socket passed on, which its own request keeps open; this one is over.
    this.#respond(ctx, { status: 101, statusText, headers, body: null, webSocket: socket }, done);
    if (done) return ok(null);
    // No waitUntil clock: the socket's own close ends the request.
    if (ctx.wallTimer !== null) clearTimeout(ctx.wallTimer);
    ctx.wallTimer = null;
    return ok(null);
  }

  /** A Durable Object's hibernatable socket goes to `ctx`'s 101 response: null, or the reply refusing it. */
  offerSocket(ctx: RequestContext, socket: WorkerSocket): HostReply | null {
    return this.#sockets.offer(ctx, socket);
  }

  /** A socket in a Durable Object's 101, for the stub's caller `ctx`: the id by which it may return it in its own. */
  relaySocket(ctx: RequestContext, socket: WorkerSocket): number {
    return this.#sockets.relay(ctx, socket);
  }

  /** Closes every WebSocket of this isolate (shutdown): workers see their clients close with `code`. */
  closeSockets(code: number = CloseCode.GoingAway, reason = 'The server is shutting down.'): void {
    this.#sockets.closeAll(code, reason);
  }

  /** The host's end of a streamed response body: each read is one `pullBody` call charged to the request. */
  #streamOut(ctx: RequestContext): IsolateBodyStream {
    // Pulls asked for while a call is running (a chunk handed on at once) wait for it to return. A
    // cancel still reaches the isolate after the request ended (a limit), as a call of its own, so the
    // runtime lets go of the tenant's stream.
    const enter = (cancel: boolean) => {
      const run = () => {
        if (this.#dead !== null || (ctx.ended && !cancel)) return;
        this.#enter(ctx.ended ? null : ctx, 'pullBody', [ctx.id, cancel]);
      };
      if (this.#depth === 0) run();
      else setImmediate(run);
    };
    return new IsolateBodyStream({
      pull: () => enter(false),
      cancel: () => enter(true),
      finished: (outcome) => {
        if (outcome === 'stalled') this.#services.log.workerError(this.name, ctx.traceId, `The response body made no progress for ${this.#limits.wallMs} ms; the response was cut off.`);
        // What is left is waitUntil work: it gets its usual time (the runtime ends the request sooner when there is none).
        if (ctx.ended) return;
        if (ctx.wallTimer !== null) clearTimeout(ctx.wallTimer);
        ctx.wallTimer = setTimeout(() => this.#end(ctx), WAIT_UNTIL_MS);
      },
    }, this.#limits.wallMs);
  }

  #onRequestBodyRead(args: unknown[]): HostReply {
    const [opId, reqId, whole] = args;
    const ctx = this.#ctxOf(reqId);
    const source = ctx?.requestBody ?? null;
    if (ctx === null || source === null) return ok(null);
    if (ctx.requestBodyReading) return typeError('The request body is already being read.');
    ctx.requestBodyReading = true;
    const read = (whole === true ? readRest(source) : source.read()).then((chunk): HostReply => {
      ctx.requestBodyReading = false;
      if (chunk === null || whole === true) ctx.requestBody = null;
      if (chunk === null) return ok(null);
      // isolated-vm copies a whole ArrayBuffer: hand it exactly the chunk's bytes.
      const exact = chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength ? chunk.buffer
        : chunk.buffer.slice(chunk.byteOffset, chunk.byteOffset + chunk.byteLength);
      return ok(exact);
    }, (err: unknown): HostReply => {
      ctx.requestBodyReading = false;
      ctx.requestBody = null;
      return fail(ErrorKind.TypeError, err instanceof Error ? err.message : 'The request body could not be read.');
    });
    return this.#async(opId, read);
  }

  #onFail(args: unknown[]): HostReply {
    const [reqId, , message] = args;
    const ctx = this.#ctxOf(reqId);
    this.#services.log.workerError(this.name, ctx?.traceId ?? null, `Uncaught ${typeof message === 'string' ? withoutRuntimeFrames(message) : 'exception'}`);
    // A Durable Object's CPU limit the request did not catch is counted as what it is.
    const failure = ctx !== null && ctx.objectCpuLimit && typeof message === 'string' && message.includes(OBJECT_CPU_LIMIT) ? 'cpu_limit' : 'exception';
    if (ctx !== null) this.#respond(ctx, platformResponse(500, 'Internal Server Error\n', failure));
    return ok(null);
  }

  #onTimerSet(args: unknown[]): HostReply {
    const [timerId, delay, repeat] = args;
    const ctx = this.#current;
    if (ctx === null) {
      this.#services.log.console(this.name, null, LogLevel.Warn, 'setTimeout()/setInterval() outside a request is ignored; timers belong to a request.');
      return ok(null);
    }
    if (typeof timerId !== 'number' || typeof delay !== 'number' || !(delay >= 0)) return typeError('invalid timer');
    const fire = () => {
      if (repeat !== true) { ctx.timers.delete(timerId); this.#liveTimers--; }
      this.#enter(ctx, 'fireTimer', [timerId]);
    };
    const handle = repeat === true ? setInterval(fire, Math.max(1, delay)) : setTimeout(fire, delay);
    ctx.timers.set(timerId, handle);
    this.#liveTimers++;
    return ok(null);
  }

  #onTimerClear(args: unknown[]): HostReply {
    const [timerId] = args;
    for (const ctx of this.#requests.values()) {
      const handle = ctx.timers.get(timerId as number);
      if (handle !== undefined) {
        clearTimeout(handle);
        ctx.timers.delete(timerId as number);
        this.#liveTimers--;
        break;
      }
    }
    return ok(null);
  }

  /**
   * Counts one subrequest against the request's limit. Workers counts fetch(), service binding calls
   * and Cache API calls alike toward it.
   */
  #overSubrequests(ctx: RequestContext): boolean {
    if (++ctx.subrequests > this.#limits.subrequests) return true;
    const meter = this.#services.usage;
    if (meter !== undefined) meter.subrequests++;
    return false;
  }

  #onFetchStart(args: unknown[]): HostReply {
    const ctx = this.#current;
    if (ctx === null) return typeError('I/O is only possible while handling a request.');
    if (this.#overSubrequests(ctx)) return TOO_MANY_SUBREQUESTS;
    return this.#subrequests.start(ctx, args);
  }

  /** A service binding call is a subrequest of the caller, as on Workers: it counts toward the same limit. */
  #onServiceFetchStart(args: unknown[]): HostReply {
    const ctx = this.#current;
    if (ctx === null) return typeError('I/O is only possible while handling a request.');
    const [index, ...rest] = args;
    const binding = typeof index === 'number' ? this.#services.services?.[index] : undefined;
    if (binding === undefined) return typeError('This service binding does not exist.');
    if (this.#overSubrequests(ctx)) return TOO_MANY_SUBREQUESTS;
    return this.#subrequests.start(ctx, rest, binding.send);
  }

  /** A JavaScript RPC call on a service binding: a subrequest too, answered with the method's result. */
  #onServiceCall(args: unknown[]): HostReply {
    const ctx = this.#current;
    if (ctx === null) return typeError('I/O is only possible while handling a request.');
    const [opId, index, method, callArgs] = args;
    const binding = typeof index === 'number' ? this.#services.services?.[index] : undefined;
    if (binding === undefined) return typeError('This service binding does not exist.');
    if (this.#overSubrequests(ctx)) return TOO_MANY_SUBREQUESTS;
    return this.#async(opId, binding.call(method, callArgs, ctx));
  }
}
