// The host's public face: what the CLI, the tests and the benchmarks build on. It wires the isolate
// pool, storage, bindings and outbound transport together for a set of workers in one process.
import { mkdirSync } from 'node:fs';
import { BindingKind } from '../shared/bindings.js';
import { AnalyticsBinding } from './bindings/analytics/analytics-binding.js';
import { AnalyticsService } from './bindings/analytics/analytics-service.js';
import { KvBinding } from './bindings/kv/kv-binding.js';
import { AlarmScheduler } from './bindings/durable-objects/alarm-scheduler.js';
import { DurableObjectsService, objectBindingDescriptors } from './bindings/durable-objects/durable-objects-service.js';
import { ServiceBinding } from './bindings/service/service-binding.js';
import type { Target } from './server/http-front.js';
import { IsolatePool } from './isolates/isolate-pool.js';
import { ResidentWorker, type WorkerSpec } from './isolates/resident-worker.js';
import { limitLogs } from './observability/log-limiter.js';
import { TextLogSink, type LogSink } from './observability/log-sink.js';
import { Outbound, type EgressOptions } from './outbound/outbound-fetch.js';
import { SqliteKvStore } from './storage/kv/sqlite-kv-store.js';
import { SqliteAnalyticsStore } from './storage/analytics/sqlite-analytics-store.js';
import { CacheBinding } from './bindings/cache/cache-binding.js';
import { SqliteCacheStore } from './storage/cache/sqlite-cache-store.js';
import { bundleWorker } from './workers/bundle-worker.js';
import { StackMapper } from './workers/stack-mapper.js';
import { QueueBinding } from './bindings/queues/queue-binding.js';
import { QueueService, queueRequest } from './bindings/queues/queue-service.js';
import type { QueueConsumerConfig, QueueProducerConfig } from './workers/queues-config.js';
import { DEFAULT_LIMITS, type DurableObjectBindingConfig, type AnalyticsDatasetConfig, type KvNamespaceConfig, type ServiceBindingConfig, type WorkerConfig, type WorkerLimits } from './workers/worker-config.js';

export interface IsletOptions {
  /** Where SQLite files live (`.islet/` in development). */
  dataDir: string;
  log?: LogSink;
  /** hostname -> origin: where tenant subrequests to that host go instead. Route targets are always reachable. */
  outboundRoutes?: ReadonlyMap<string, string>;
  /**
   * Subrequests reach only public addresses unless `allow` lists more: CIDRs (`10.0.0.0/8`) and
   * hostnames (`api.internal`, `*.internal`). An invalid entry throws EgressConfigError.
   */
  egress?: EgressOptions;
  /** Booted isolates kept ready for cold starts. */
  spareIsolates?: number;
  /**
   * Durable Objects: how long one without events stays in memory (default 10 s), how often alarms are
   * looked for (default 250 ms), how many MiB each object's database may hold (default 1024), and how
   * long an object active at a reload keeps its code before it is reset (default 300 s, Cloudflare's max_delay).
   */
  durableObjects?: { idleMs?: number; alarmPollMs?: number; maxStorageMb?: number; codeUpdateMaxDelayMs?: number };
}

/** Under islet dev every worker of the process sees the same queues, as wrangler dev's workers do. */
const LOCAL_QUEUE_SCOPE = 'local';

/** A worker given directly as code, for tests, benchmarks and embedding. */
export interface WorkerSource {
  name: string;
  code: string;
  filename?: string;
  vars?: Record<string, unknown>;
  kvNamespaces?: KvNamespaceConfig[];
  /** Analytics Engine datasets; their points are kept under the worker's name as the tenant, as islet serve's default. */
  analyticsEngineDatasets?: AnalyticsDatasetConfig[];
  /** Service bindings: calls go to the worker registered under that name (registerService), looked up at call time. */
  services?: ServiceBindingConfig[];
  /** Durable Object namespaces of classes this worker exports; objects run in its isolate. */
  durableObjects?: DurableObjectBindingConfig[];
  /** Queue producers; all workers of this Islet share one set of queues. Consumers: setQueueConsumers(). */
  queueProducers?: QueueProducerConfig[];
  limits?: Partial<WorkerLimits>;
  /** Maps stack positions in `code` back to the tenant's files, in logs and load errors. */
  mapStack?: (text: string) => string;
}

/** A loaded project: its worker, the files it was built from, and how to read its stack traces. */
export interface LoadedProject {
  worker: ResidentWorker;
  inputs: string[];
  warnings: string[];
  mapStack: (text: string) => string;
}

export class Islet {
  readonly pool: IsolatePool;
  readonly log: LogSink;
  readonly kvStore: SqliteKvStore;
  /** Analytics Engine points (`<dataDir>/analytics.sqlite`) and the SQL API over them. */
  readonly analytics: AnalyticsService;
  /** The Cache API's entries (`<dataDir>/cache.sqlite`); each worker has its own partition, named by the worker. */
  readonly cacheStore: SqliteCacheStore;
  /** Durable Objects' storage (`<dataDir>/durable-objects/`), alarm index and live objects. */
  readonly objects: DurableObjectsService;
  readonly #alarms: AlarmScheduler;
  readonly #outbound: Outbound;
  readonly #tenantLog: LogSink;
  /** Workers reachable through service bindings, by name. */
  readonly #services = new Map<string, Target>();
  readonly #dataDir: string;

  constructor(options: IsletOptions) {
    // First: a bad egress entry should fail before anything is opened.
    this.#outbound = new Outbound({ routes: options.outboundRoutes ?? new Map(), ...(options.egress ? { egress: options.egress } : {}) });
    mkdirSync(options.dataDir, { recursive: true });
    this.#dataDir = options.dataDir;
    this.log = options.log ?? new TextLogSink();
    // Tenants' lines are bounded before they reach the sink; the sink itself stays as given.
    this.#tenantLog = limitLogs(this.log);
    this.kvStore = new SqliteKvStore(options.dataDir);
    this.analytics = new AnalyticsService(new SqliteAnalyticsStore(options.dataDir), {
      onError: (err) => this.log.workerError('analytics', null, `Analytics Engine points were not written: ${err instanceof Error ? err.message : String(err)}`),
    });
    this.cacheStore = new SqliteCacheStore(options.dataDir);
    const objectOptions = options.durableObjects ?? {};
    this.objects = new DurableObjectsService({
      dataDir: options.dataDir, log: this.#tenantLog, ...(objectOptions.idleMs !== undefined ? { idleMs: objectOptions.idleMs } : {}),
      ...(objectOptions.maxStorageMb !== undefined ? { maxStorageBytes: objectOptions.maxStorageMb * 1024 * 1024 } : {}),
      ...(objectOptions.codeUpdateMaxDelayMs !== undefined ? { codeUpdateMaxDelayMs: objectOptions.codeUpdateMaxDelayMs } : {}),
    });
    // Alarms of workers loaded in this process fire here; others' wait in the index until theirs is.
    this.#alarms = new AlarmScheduler(this.objects.alarms, (entry) => {
      const directory = this.objects.find(entry.scope, entry.worker);
      return directory === null ? null : directory.alarm(entry.className, entry.id, entry.retries);
    }, this.log, objectOptions.alarmPollMs);
    this.pool = new IsolatePool({ spares: options.spareIsolates ?? 2, memoryMb: DEFAULT_LIMITS.memoryMb });
  }

  /** A worker from code already bundled into one ES module. */
  createWorker(source: WorkerSource): ResidentWorker {
    const namespaces = source.kvNamespaces ?? [];
    const spec: WorkerSpec = {
      name: source.name,
      code: source.code,
      filename: source.filename ?? `${source.name}.js`,
      vars: source.vars ?? {},
      bindings: [
        ...namespaces.map((ns, index) => ({ kind: BindingKind.Kv, name: ns.binding, index })),
        ...(source.services ?? []).map((s, index) => ({ kind: BindingKind.Service, name: s.binding, index })),
        ...(source.analyticsEngineDatasets ?? []).map((d, index) => ({ kind: BindingKind.AnalyticsEngine, name: d.binding, index })),
        ...objectBindingDescriptors(source.durableObjects ?? []),
        ...(source.queueProducers ?? []).map((q, index) => ({ kind: BindingKind.Queue, name: q.binding, index })),
      ],
      limits: { ...DEFAULT_LIMITS, ...source.limits },
    };
    const kv = namespaces.map((ns) => new KvBinding(this.kvStore, ns.id));
    const services = (source.services ?? []).map((s) => new ServiceBinding(s.service, (request) => {
      const target = this.#services.get(s.service);
      // Looked up per call: the target may be registered (or reloaded) after this worker was created.
      return target === undefined
        ? Promise.resolve({ error: `Service Unavailable: env.${s.binding} is bound to worker "${s.service}", which is not running here.` })
        : target.fetch(s.entrypoint === undefined ? request : { ...request, entrypoint: s.entrypoint });
    }));
    const mapStack = source.mapStack;
    const log: LogSink = mapStack === undefined ? this.#tenantLog : {
      console: (worker, traceId, level, message) => this.#tenantLog.console(worker, traceId, level, mapStack(message)),
      workerError: (worker, traceId, message) => this.#tenantLog.workerError(worker, traceId, mapStack(message)),
    };
    const cache = new CacheBinding(this.cacheStore, source.name);
    const analytics = (source.analyticsEngineDatasets ?? []).map((d) => new AnalyticsBinding(this.analytics.writer(source.name, d.dataset)));
    // A worker's objects live in its isolate; reloading the worker under the same name moves them to the new one.
    let resident: ResidentWorker | null = null;
    const objectBindings = source.durableObjects ?? [];
    const reload = this.objects.find(source.name, source.name) !== null;
    const directory = objectBindings.length === 0 ? null : this.objects.directory(source.name, source.name, () => resident!.warm());
    const objects = directory === null ? undefined : this.objects.host(directory, objectBindings);
    const producers = source.queueProducers ?? [];
    const queues = producers.length === 0 ? undefined
      : producers.map((q) => new QueueBinding({ scope: LOCAL_QUEUE_SCOPE, queue: q.queue }, this.#queueService().writer, q.deliveryDelay ?? 0));
    resident = new ResidentWorker(spec, this.pool, {
      log, kv, analytics, cache, services, outbound: this.#outbound, ...(objects !== undefined ? { objects } : {}), ...(queues !== undefined ? { queues } : {}),
    });
    // A reload: objects active in the previous version keep their code for max_delay at most.
    if (reload) directory?.codeUpdated();
    return resident;
  }

  /**
   * Makes `target` the worker that service bindings naming `name` call (`islet dev` with several
   * configs, `islet start`); a later registration under the same name replaces it.
   */
  registerService(name: string, target: Target): void {
    this.#services.set(name, target);
  }

  #queues: QueueService | null = null;

  /** Opened when the first worker uses a queue, so projects without queues get no queues.sqlite. */
  #queueService(): QueueService {
    this.#queues ??= new QueueService(this.#dataDir, this.log);
    return this.#queues;
  }

  /** Makes `target` (the worker as it serves now, reloads included) the consumer of `consumers`. */
  setQueueConsumers(name: string, consumers: readonly QueueConsumerConfig[], target: Target): void {
    if (consumers.length === 0 && this.#queues === null) return;
    this.#queueService().setConsumers(name, LOCAL_QUEUE_SCOPE, consumers, (queue, batch) => target.fetch(queueRequest(queue, batch)));
  }

  /** A worker from a Workers project: bundles its entry with esbuild, then loads it. */
  async loadProject(config: WorkerConfig): Promise<LoadedProject> {
    const bundle = await bundleWorker(config);
    const mapper = bundle.sourceMap === null ? null : new StackMapper(config.main, bundle.sourceMap, config.rootDir);
    const mapStack = (text: string) => (mapper === null ? text : mapper.map(text));
    const worker = this.createWorker({
      mapStack,
      name: config.name,
      code: bundle.code,
      filename: config.main,
      vars: config.vars,
      kvNamespaces: config.kvNamespaces,
      analyticsEngineDatasets: config.analyticsEngineDatasets ?? [],
      services: config.services ?? [],
      durableObjects: config.durableObjects ?? [],
      queueProducers: config.queues?.producers ?? [],
      limits: config.limits,
    });
    return { worker, inputs: bundle.inputs, warnings: bundle.warnings, mapStack };
  }

  /** A KV namespace as the CLI sees it: the same store and checks a worker's binding uses. */
  kvNamespace(namespaceId: string): KvBinding {
    return new KvBinding(this.kvStore, namespaceId);
  }

  close(): void {
    this.pool.close();
    this.kvStore.close();
    this.analytics.close();
    this.cacheStore.close();
    this.#alarms.close();
    this.objects.close();
    this.#queues?.close();
    void this.#outbound.close();
  }
}
