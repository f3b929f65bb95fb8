// The multi-tenant server's core: deployed workers and their versions (kept by the DeploymentStore),
// the route table, admission limits, and the supervisor whose engine processes run the isolates. The
// tenant front door asks it where a request goes; the admin API asks it to change what is deployed.
// Neither knows about the other.
import { KvBinding } from '../bindings/kv/kv-binding.js';
import { ControlError } from '../control/control-error.js';
import { DeploymentStore } from '../control/deployment-store.js';
import type { DeployRequest } from '../control/deploy-request.js';
import type { Deployment, ServeLimits, StickyBy, WorkerRecord, WorkerVersion } from '../control/model.js';
import { pickVersion, splitForDeploy, stickyKeyOf } from '../control/rollout.js';
import { RouteTable } from '../control/route-table.js';
import type { VersionSpec } from '../engines/engine-protocol.js';
import { Supervisor, type EngineStatus } from '../engines/supervisor.js';
import type { EngineResult } from '../engines/engine-client.js';
import type { LogSink } from '../observability/log-sink.js';
import { NO_OBSERVER, type FailureKind, type PlatformObserver } from '../observability/platform-observer.js';
import { platformResponse, type IncomingRequest, type OutgoingResponse } from '../isolates/request-types.js';
import type { Target } from '../server/http-front.js';
import { SqliteKvStore } from '../storage/kv/sqlite-kv-store.js';
import { failureOf } from './failure-kind.js';
import type { ServeConfig } from './serve-config.js';
import { ConcurrencyGate, RateLimiter, queueFull, tooManyRequests } from './worker-gate.js';

export interface DeployResult {
  worker: WorkerRecord;
  version: WorkerVersion;
  deployment: Deployment;
  warnings: string[];
}

/** The version ids a deployment sends traffic to, largest share first. */
function primaryOf(deployment: Deployment): string {
  return [...deployment.versions].sort((a, b) => b.percent - a.percent)[0]!.id;
}

export class Platform {
  readonly config: ServeConfig;
  readonly store: DeploymentStore;
  readonly supervisor: Supervisor;
  readonly #observer: PlatformObserver;
  readonly #kvStore: SqliteKvStore;
  readonly #specs = new Map<string, VersionSpec>();
  /** Version id -> its number, the label requests are counted under. */
  readonly #numbers = new Map<string, number>();
  readonly #gates = new Map<string, ConcurrencyGate>();
  readonly #rates = new Map<string, RateLimiter>();
  /** Deploys of one worker run one after another. */
  readonly #deploying = new Map<string, Promise<unknown>>();
  #workers = new Map<string, WorkerRecord>();
  #routes: RouteTable;
  #inFlight = 0;
  #draining: (() => void) | null = null;

  private constructor(config: ServeConfig, store: DeploymentStore, supervisor: Supervisor, observer: PlatformObserver) {
    this.config = config;
    this.store = store;
    this.supervisor = supervisor;
    this.#observer = observer;
    this.#kvStore = new SqliteKvStore(config.dataDir);
    this.#routes = new RouteTable([], { devRoutes: config.devRoutes });
    this.#reload();
  }

  /** `observer` hears of every request answered (metrics, usage); by default nothing does. */
  static async open(config: ServeConfig, log: LogSink, observer: PlatformObserver = NO_OBSERVER): Promise<Platform> {
    const store = new DeploymentStore(config.dataDir);
    // The supervisor reports quarantines; the platform that records them exists only once it has started.
    let onQuarantine: (worker: string, reason: string) => void = () => {};
    const supervisor = await Supervisor.start({
      engines: config.engines,
      dataDir: config.dataDir,
      egressAllow: config.egressAllow,
      maxResident: config.pool.maxResident,
      maxResidentMb: config.pool.maxResidentMb,
      spares: config.pool.spares,
      log,
      onQuarantine: (worker, reason) => onQuarantine(worker, reason),
    });
    const platform = new Platform(config, store, supervisor, observer);
    onQuarantine = (worker, reason) => platform.#quarantine(worker, reason);
    return platform;
  }

  get inFlight(): number { return this.#inFlight; }

  /** Re-reads workers and routes after a change; both are small next to the request rate. */
  #reload(): void {
    this.#workers = new Map(this.store.listWorkers().map((w) => [w.name, w]));
    this.#routes = new RouteTable(this.store.routes(), { devRoutes: this.config.devRoutes });
  }

  /** Recorded so that it holds across restarts and shows in the admin API; the supervisor logs it. */
  #quarantine(worker: string, reason: string): void {
    this.store.setQuarantine(worker, reason);
    this.#reload();
  }

  // --- tenant traffic ---------------------------------------------------------------------------

  route(host: string, path: string): Target | null {
    const name = this.#routes.match(host, path, (candidate) => this.#workers.get(candidate)?.deployment != null);
    if (name === null) return null;
    const worker = this.#workers.get(name);
    if (worker === undefined || worker.deployment === null) return null;
    return { fetch: (request) => this.#serve(worker, worker.deployment!, request) };
  }

  #serve(worker: WorkerRecord, deployment: Deployment, request: IncomingRequest): Promise<OutgoingResponse> {
    const started = performance.now();
    const versionId = deployment.versions.length === 1 ? deployment.versions[0]!.id
      : pickVersion(deployment, stickyKeyOf(deployment.sticky, request.headers), Math.random);
    const spec = this.#specOf(versionId);
    const version = this.#numbers.get(versionId) ?? 0;
    if (worker.quarantine !== null) {
      return this.#refuse(worker.name, version, 'quarantine',
        platformResponse(503, `Service Unavailable: worker "${worker.name}" is quarantined (${worker.quarantine.reason}). Redeploy it to lift the quarantine.\n`));
    }
    if (spec === null) return this.#refuse(worker.name, version, 'unavailable', platformResponse(503, 'Service Unavailable: the worker version is not available.\n'));
    if (spec.limits.ratePerSecond > 0) {
      let limiter = this.#rates.get(worker.name);
      if (limiter === undefined || limiter.ratePerSecond !== spec.limits.ratePerSecond) {
        limiter = new RateLimiter(spec.limits.ratePerSecond);
        this.#rates.set(worker.name, limiter);
      }
      const verdict = limiter.take();
      if (verdict !== true) return this.#refuse(worker.name, version, 'rate_limited', tooManyRequests(verdict));
    }
    let gate = this.#gates.get(versionId);
    if (gate === undefined) {
      gate = new ConcurrencyGate(spec.limits.concurrency, spec.limits.queue);
      this.#gates.set(versionId, gate);
    }
    const admitted = gate.run(() => this.supervisor.fetch(spec, request));
    if (admitted === null) return this.#refuse(worker.name, version, 'queue_full', queueFull());
    this.#inFlight++;
    return admitted.then((result: EngineResult) => {
      if (--this.#inFlight === 0) this.#draining?.();
      this.#observer.request({
        worker: worker.name, version, status: result.status, admitted: true,
        durationMs: performance.now() - started, cpuMs: result.cpuMs, coldStartMs: result.coldStartMs,
        memoryMb: spec.limits.memoryMb, failure: failureOf(result),
      });
      return result;
    }, (err: unknown) => {
      if (--this.#inFlight === 0) this.#draining?.();
      throw err;
    });
  }

  /** An answer the platform gives without running the worker. */
  #refuse(worker: string, version: number, failure: FailureKind, response: OutgoingResponse): Promise<OutgoingResponse> {
    this.#observer.request({
      worker, version, status: response.status, admitted: false,
      durationMs: 0, cpuMs: 0, coldStartMs: -1, memoryMb: 0, failure,
    });
    return Promise.resolve(response);
  }

  /** The spec engines run a version with: its config over the server's defaults, secrets over vars. */
  #specOf(versionId: string): VersionSpec | null {
    const cached = this.#specs.get(versionId);
    if (cached !== undefined) return cached;
    const version = this.store.getVersion(versionId);
    if (version === null) return null;
    const spec = this.#buildSpec(version);
    this.#specs.set(versionId, spec);
    return spec;
  }

  #buildSpec(version: WorkerVersion): VersionSpec {
    const tenant = this.store.getWorker(version.worker)?.tenant ?? version.worker;
    const limits: ServeLimits = { ...this.config.limits, ...version.config.limits };
    this.#numbers.set(version.id, version.number);
    return {
      id: version.id,
      worker: version.worker,
      code: version.code,
      filename: `${version.worker}.js`,
      sourceMap: version.sourceMap,
      vars: { ...version.config.vars, ...this.store.secrets(version.worker) },
      kv: version.config.kvNamespaces.map((ns) => ({ binding: ns.binding, storeNamespace: `${tenant}/${ns.id}` })),
      limits,
    };
  }

  // --- control ----------------------------------------------------------------------------------

  /** Serializes changes to one worker: two deploys racing must not interleave their checks and writes. */
  #exclusive<T>(worker: string, change: () => Promise<T>): Promise<T> {
    const previous = this.#deploying.get(worker) ?? Promise.resolve();
    const next = previous.then(change, change);
    const settled = next.then(() => {}, () => {});
    this.#deploying.set(worker, settled);
    void settled.then(() => { if (this.#deploying.get(worker) === settled) this.#deploying.delete(worker); });
    return next;
  }

  /**
   * Stores the version, loads it in its engine (compile and evaluate the module), and only when that
   * worked points traffic at it. A version that fails to load is discarded and nothing else changes.
   */
  deploy(name: string, request: DeployRequest): Promise<DeployResult> {
    return this.#exclusive(name, async () => {
      const existing = this.store.getWorker(name);
      const current = existing?.deployment ?? null;
      if (request.percent < 100 && current === null) {
        throw new ControlError('invalid_request', `percent: a gradual deploy needs a version already deployed; "${name}" has none`);
      }
      this.#checkRoutes(name, request.config.routes);
      const version = this.store.createVersion({
        worker: name,
        tenant: request.tenant,
        code: request.code,
        sourceMap: request.sourceMap,
        config: request.config,
        message: request.message,
      });
      const spec = this.#buildSpec(version);
      const warmed = await this.supervisor.warm(spec);
      if (!warmed.ok) {
        this.store.discardVersion(version.id);
        this.#numbers.delete(version.id);
        this.supervisor.drop(version.id);
        throw new ControlError('deploy_failed', warmed.error);
      }
      this.#specs.set(version.id, spec);
      const versions = splitForDeploy(current, version.id, request.percent);
      const deployment = this.store.deploy(name, versions, request.sticky ?? current?.sticky ?? null, request.config.routes);
      this.#afterDeploy(name, current);
      return { worker: this.store.getWorker(name)!, version, deployment, warnings: [] };
    });
  }

  /**
   * A route another worker owns is a conflict; checked before anything is stored or loaded. Patterns
   * that differ only by scheme take the same traffic here (islet serve does not terminate TLS), so
   * they conflict too.
   */
  #checkRoutes(name: string, routes: string[]): void {
    const withoutScheme = (pattern: string) => pattern.replace(/^https?:\/\//, '');
    const owners = new Map(this.store.routes().map((r) => [withoutScheme(r.pattern), r.worker]));
    for (const pattern of routes) {
      const owner = owners.get(withoutScheme(pattern));
      if (owner !== undefined && owner !== name) throw new ControlError('conflict', `route "${pattern}" is already used by worker "${owner}"`);
    }
  }

  /**
   * A new deployment (deploy, split, rollback) lifts a quarantine, in the store and in the supervisor
   * alike. Versions that no longer take traffic leave the engines once their requests are done.
   */
  #afterDeploy(name: string, previous: Deployment | null): void {
    this.supervisor.release(name);
    this.#reload();
    const live = new Set(this.#workers.get(name)?.deployment?.versions.map((v) => v.id) ?? []);
    for (const v of previous?.versions ?? []) {
      if (!live.has(v.id)) this.#forget(v.id);
    }
  }

  #forget(versionId: string): void {
    this.#specs.delete(versionId);
    this.#numbers.delete(versionId);
    this.#gates.delete(versionId);
    this.supervisor.drop(versionId);
  }

  /** Splits traffic over versions already deployed once (gradual rollout by hand). */
  split(name: string, versions: { id: string; percent: number }[], sticky: StickyBy | undefined): Promise<Deployment> {
    return this.#exclusive(name, async () => {
      const worker = this.#require(name);
      for (const v of versions) {
        const version = this.store.getVersion(v.id);
        if (version === null || version.worker !== name) throw new ControlError('not_found', `version ${v.id} of worker "${name}" not found`);
        await this.#ensureWarm(version);
      }
      const deployment = this.store.deploy(name, versions, sticky === undefined ? worker.deployment?.sticky ?? null : sticky, null);
      this.#afterDeploy(name, worker.deployment);
      return deployment;
    });
  }

  /** 100% to `versionId`, or to the version that had the most traffic before the current deployment. */
  rollback(name: string, versionId: string | null): Promise<Deployment> {
    return this.#exclusive(name, async () => {
      const worker = this.#require(name);
      let target = versionId;
      if (target === null) {
        const previous = this.store.previousDeployment(name);
        if (previous === null) throw new ControlError('conflict', `worker "${name}" has no earlier deployment to roll back to`);
        target = primaryOf(previous);
      }
      const version = this.store.getVersion(target);
      if (version === null || version.worker !== name) throw new ControlError('not_found', `version ${target} of worker "${name}" not found`);
      this.#checkRoutes(name, version.config.routes);
      await this.#ensureWarm(version);
      const deployment = this.store.deploy(name, [{ id: version.id, percent: 100 }], worker.deployment?.sticky ?? null, version.config.routes);
      this.#afterDeploy(name, worker.deployment);
      return deployment;
    });
  }

  /** An older version is loaded again before it takes traffic back, so a rollback is checked too. */
  async #ensureWarm(version: WorkerVersion): Promise<void> {
    const spec = this.#specOf(version.id)!;
    const warmed = await this.supervisor.warm(spec);
    if (!warmed.ok) throw new ControlError('deploy_failed', warmed.error);
  }

  deleteWorker(name: string): Promise<void> {
    return this.#exclusive(name, async () => {
      const worker = this.#require(name);
      const versions = this.store.listVersions(name);
      this.store.deleteWorker(name);
      this.#rates.delete(name);
      for (const v of versions) this.#forget(v.id);
      void worker;
      this.#reload();
    });
  }

  putSecret(name: string, key: string, value: string): void {
    this.#require(name);
    this.store.putSecret(name, key, value);
    this.#secretsChanged(name);
  }

  deleteSecret(name: string, key: string): boolean {
    this.#require(name);
    const deleted = this.store.deleteSecret(name, key);
    if (deleted) this.#secretsChanged(name);
    return deleted;
  }

  /** Secrets are part of `env`, so running versions are given the new values (and a fresh isolate). */
  #secretsChanged(name: string): void {
    for (const [id, spec] of [...this.#specs]) {
      if (spec.worker !== name) continue;
      const version = this.store.getVersion(id);
      if (version === null) { this.#specs.delete(id); continue; }
      const next = this.#buildSpec(version);
      this.#specs.set(id, next);
      this.supervisor.replaceSpec(next);
    }
  }

  #require(name: string): WorkerRecord {
    const worker = this.store.getWorker(name);
    if (worker === null) throw new ControlError('not_found', `worker "${name}" not found`);
    return worker;
  }

  /** The KV namespace a binding of the worker's main version names, as the admin API addresses it. */
  kvNamespace(name: string, binding: string): KvBinding {
    const worker = this.#require(name);
    if (worker.deployment === null) throw new ControlError('not_found', `worker "${name}" has no deployment`);
    const version = this.store.getVersion(primaryOf(worker.deployment))!;
    const ns = version.config.kvNamespaces.find((n) => n.binding === binding);
    if (ns === undefined) throw new ControlError('not_found', `worker "${name}" has no KV binding "${binding}"`);
    return new KvBinding(this.#kvStore, `${worker.tenant}/${ns.id}`);
  }

  engines(): Promise<EngineStatus[]> {
    return this.supervisor.stats();
  }

  /** Waits (up to `graceMs`) for requests in flight, then stops the engines, which finish waitUntil work. */
  async shutdown(graceMs: number): Promise<void> {
    const deadline = performance.now() + graceMs;
    if (this.#inFlight > 0) {
      await new Promise<void>((resolve) => {
        this.#draining = resolve;
        setTimeout(resolve, graceMs).unref();
      });
    }
    await this.supervisor.shutdown(Math.max(0, deadline - performance.now()));
    this.#kvStore.close();
    this.store.close();
  }
}
