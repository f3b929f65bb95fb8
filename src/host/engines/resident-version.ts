// One version as an engine holds it: its spec, the ResidentWorker that gives it an isolate on demand,
// and what the engine's eviction and accounting need to know about it. Built as Islet.createWorker
// builds a worker, with the engine's shared store, pool and outbound transport.
import { BindingKind } from '../../shared/bindings.js';
import { limitLogs } from '../observability/log-limiter.js';
import { KvBinding } from '../bindings/kv/kv-binding.js';
import { ServiceBinding } from '../bindings/service/service-binding.js';
import type { IsolatePool } from '../isolates/isolate-pool.js';
import type { RequestContext } from '../isolates/request-context.js';
import { ResidentWorker } from '../isolates/resident-worker.js';
import type { LogSink } from '../observability/log-sink.js';
import type { Outbound } from '../outbound/outbound-fetch.js';
import type { SqliteKvStore } from '../storage/kv/sqlite-kv-store.js';
import { CacheBinding } from '../bindings/cache/cache-binding.js';
import { AnalyticsBinding } from '../bindings/analytics/analytics-binding.js';
import type { CacheStore } from '../storage/cache/cache-store.js';
import { StackMapper } from '../workers/stack-mapper.js';
import type { PendingRequest } from './engine-host.js';
import type { EnginePoint, FromEngine, VersionSpec } from './engine-protocol.js';
import type { RunningRecorder } from './running-record.js';
import type { ServiceCallClient } from './service-calls.js';
import { QueueBinding } from '../bindings/queues/queue-binding.js';
import type { QueueWriter } from '../bindings/queues/queue-writer.js';
import { objectBindingDescriptors, type DurableObjectsService } from '../bindings/durable-objects/durable-objects-service.js';
import type { WorkerInstance } from '../isolates/worker-instance.js';
import type { EngineUsage, WorkerMeter } from '../observability/usage/engine-usage.js';

export interface VersionServices {
  pool: IsolatePool;
  store: SqliteKvStore;
  /** The Cache API's store, shared by the engine's versions; each uses its tenant's partition. */
  cacheStore?: CacheStore;
  outbound: Outbound;
  send: (message: FromEngine) => void;
  recorder: RunningRecorder | null;
  /** Where the versions' Analytics Engine points go (batched to the supervisor, which writes them). */
  points?: (point: EnginePoint) => void;
  /** Where the versions' service binding calls go (the supervisor). */
  serviceCalls?: ServiceCallClient;
  /** Durable Objects of the engine's workers, and the isolate a worker's objects run in. */
  durableObjects?: DurableObjectsService;
  objectTarget?: (worker: string) => WorkerInstance;
  /** Where the versions' queue producers write (the engine's one writer). */
  queueWriter?: () => QueueWriter;
  /** The engine's usage meters: a worker's versions count into one. */
  usage?: EngineUsage;
}

export class ResidentVersion {
  readonly spec: VersionSpec;
  readonly worker: ResidentWorker;
  /** The engine's request counter when this version last took a request: the LRU order. */
  lastUsed = 0;
  /** Requests sent in and not yet answered. */
  inFlight = 0;
  /** Set by the worker's cold start during a fetch; -1 when the request found the isolate warm. */
  coldStartMs = -1;
  /** The isolate's heap at the last sample. */
  heapBytes = 0;
  /** Requests waiting to be paired with the context their first isolate call creates. */
  readonly unmatched: PendingRequest[] = [];
  /** The worker's usage in this engine; null when the engine keeps none. */
  readonly meter: WorkerMeter | null;
  #mapper: StackMapper | null | undefined;

  constructor(spec: VersionSpec, services: VersionServices) {
    this.spec = spec;
    const send = services.send;
    const log: LogSink = limitLogs({
      console: (worker, traceId, level, message) => send({ t: 'log', worker, traceId, level, message: this.mapStack(message) }),
      workerError: (worker, traceId, message) => send({ t: 'log', worker, traceId, level: 'platform', message: this.mapStack(message) }),
    });
    const recorder = services.recorder;
    const serviceCalls = services.serviceCalls;
    const points = services.points;
    const id = spec.id;
    const meter = services.usage?.meter(spec.worker) ?? null;
    this.meter = meter;
    this.worker = new ResidentWorker({
      name: spec.worker,
      code: spec.code,
      filename: spec.filename,
      vars: spec.vars,
      bindings: [
        ...spec.kv.map((ns, index) => ({ kind: BindingKind.Kv, name: ns.binding, index })),
        ...(spec.services ?? []).map((s, index) => ({ kind: BindingKind.Service, name: s.binding, index })),
        ...(spec.analytics ?? []).map((d, index) => ({ kind: BindingKind.AnalyticsEngine, name: d.binding, index })),
        ...objectBindingDescriptors(spec.durableObjects ?? []),
        ...(spec.queues ?? []).map((q, index) => ({ kind: BindingKind.Queue, name: q.binding, index })),
      ],
      limits: spec.limits,
    }, services.pool, {
      log,
      kv: spec.kv.map((ns) => new KvBinding(services.store, ns.storeNamespace)),
      analytics: (spec.analytics ?? []).map((_, index) => new AnalyticsBinding((p) => points?.([id, index, p.timestamp, p.index1, p.blobs, p.doubles]))),
      services: (spec.services ?? []).map((s, index) => new ServiceBinding(s.service, (request) => serviceCalls === undefined
        ? Promise.resolve({ error: 'Service bindings are not available here.' })
        : serviceCalls.call(id, index, request))),
      ...(services.cacheStore !== undefined ? { cache: new CacheBinding(services.cacheStore, spec.cachePartition ?? spec.worker) } : {}),
      outbound: services.outbound,
      ...objectsOf(spec, services),
      ...queuesOf(spec, services),
      ...(meter !== null ? { usage: meter } : {}),
      beforeCall: (ctx) => {
        recorder?.enter(id);
        // A request's first call is the one that created its context (no CPU charged yet).
        if (ctx !== null && ctx.cpuMs === 0) this.#match(ctx);
      },
    });
    this.worker.onColdStart = (start) => { this.coldStartMs = start.ms; };
  }

  /** No request of ours and no waitUntil work is running in the isolate. */
  get idle(): boolean {
    return this.inFlight === 0 && (this.worker.instance?.inFlight ?? 0) === 0;
  }

  sampleHeap(): number {
    const instance = this.worker.instance;
    this.heapBytes = instance === null || instance.dead ? 0 : instance.sandbox.heapUsedBytes();
    return this.heapBytes;
  }

  /**
   * Pairs a new request context with the request it serves, so its CPU time can be reported with the
   * response. Contexts are created in arrival order; the trace id guards against a request that was
   * answered without ever entering the isolate.
   */
  #match(ctx: RequestContext): void {
    for (let i = 0; i < this.unmatched.length; i++) {
      const pending = this.unmatched[i]!;
      if (pending.traceId !== ctx.traceId) continue;
      pending.ctx = ctx;
      this.unmatched.splice(i, 1);
      return;
    }
  }

  forget(pending: PendingRequest): void {
    const i = this.unmatched.indexOf(pending);
    if (i !== -1) this.unmatched.splice(i, 1);
  }

  /** Stack positions in the bundle, mapped back to the tenant's files when the deploy sent a source map. */
  mapStack(text: string): string {
    if (this.#mapper === undefined) {
      this.#mapper = null;
      if (this.spec.sourceMap !== null) {
        try {
          this.#mapper = new StackMapper(this.spec.filename, this.spec.sourceMap, process.cwd());
        } catch {
          // A source map that does not parse maps nothing; the bundle's own positions stay.
        }
      }
    }
    return this.#mapper === null ? text : this.#mapper.map(text);
  }
}

/** The Durable Objects host half of a version: all versions of a worker share its directory. */
function queuesOf(spec: VersionSpec, services: VersionServices): { queues?: QueueBinding[] } {
  const producers = spec.queues ?? [];
  if (producers.length === 0 || services.queueWriter === undefined) return {};
  const writer = services.queueWriter();
  return { queues: producers.map((q) => new QueueBinding({ scope: q.scope, queue: q.queue }, writer, q.deliveryDelay ?? 0)) };
}

function objectsOf(spec: VersionSpec, services: VersionServices): { objects?: ReturnType<DurableObjectsService['host']> } {
  const bindings = spec.durableObjects ?? [];
  const objects = services.durableObjects;
  const target = services.objectTarget;
  if (bindings.length === 0 || objects === undefined || target === undefined) return {};
  const directory = objects.directory(spec.tenant ?? spec.worker, spec.worker, () => target(spec.worker));
  return { objects: objects.host(directory, bindings) };
}
