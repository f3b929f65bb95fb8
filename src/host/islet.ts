// The host's public face: what the CLI, the tests and the benchmarks build on. It wires the isolate
// pool, storage, bindings and outbound transport together for a set of workers in one process.
import { mkdirSync } from 'node:fs';
import { BindingKind } from '../shared/bindings.js';
import { KvBinding } from './bindings/kv/kv-binding.js';
import { IsolatePool } from './isolates/isolate-pool.js';
import { ResidentWorker, type WorkerSpec } from './isolates/resident-worker.js';
import { limitLogs } from './observability/log-limiter.js';
import { TextLogSink, type LogSink } from './observability/log-sink.js';
import { Outbound, type EgressOptions } from './outbound/outbound-fetch.js';
import { SqliteKvStore } from './storage/kv/sqlite-kv-store.js';
import { bundleWorker } from './workers/bundle-worker.js';
import { StackMapper } from './workers/stack-mapper.js';
import { DEFAULT_LIMITS, type KvNamespaceConfig, type WorkerConfig, type WorkerLimits } from './workers/worker-config.js';

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
}

/** A worker given directly as code, for tests, benchmarks and embedding. */
export interface WorkerSource {
  name: string;
  code: string;
  filename?: string;
  vars?: Record<string, unknown>;
  kvNamespaces?: KvNamespaceConfig[];
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
  readonly #outbound: Outbound;
  readonly #tenantLog: LogSink;

  constructor(options: IsletOptions) {
    // First: a bad egress entry should fail before anything is opened.
    this.#outbound = new Outbound({ routes: options.outboundRoutes ?? new Map(), ...(options.egress ? { egress: options.egress } : {}) });
    mkdirSync(options.dataDir, { recursive: true });
    this.log = options.log ?? new TextLogSink();
    // Tenants' lines are bounded before they reach the sink; the sink itself stays as given.
    this.#tenantLog = limitLogs(this.log);
    this.kvStore = new SqliteKvStore(options.dataDir);
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
      bindings: namespaces.map((ns, index) => ({ kind: BindingKind.Kv, name: ns.binding, index })),
      limits: { ...DEFAULT_LIMITS, ...source.limits },
    };
    const kv = namespaces.map((ns) => new KvBinding(this.kvStore, ns.id));
    const mapStack = source.mapStack;
    const log: LogSink = mapStack === undefined ? this.#tenantLog : {
      console: (worker, traceId, level, message) => this.#tenantLog.console(worker, traceId, level, mapStack(message)),
      workerError: (worker, traceId, message) => this.#tenantLog.workerError(worker, traceId, mapStack(message)),
    };
    return new ResidentWorker(spec, this.pool, { log, kv, outbound: this.#outbound });
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
    void this.#outbound.close();
  }
}
