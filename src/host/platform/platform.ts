// The multi-tenant server's core: deployed workers and their versions (kept by the DeploymentStore),
// the route table, admission limits, and the supervisor whose engine processes run the isolates. The
// tenant front door asks it where a request goes; the admin API asks it to change what is deployed.
// Neither knows about the other.
import { KvBinding } from '../bindings/kv/kv-binding.js';
import { AlarmScheduler } from '../bindings/durable-objects/alarm-scheduler.js';
import { AlarmIndex, type AlarmEntry } from '../storage/durable-objects/alarm-index.js';
import { AnalyticsService } from '../bindings/analytics/analytics-service.js';
import { AnalyticsQueryTimeout } from '../storage/analytics/analytics-store.js';
import type { FormattedResult } from '../storage/analytics/sql/format-result.js';
import { AnalyticsSqlError } from '../storage/analytics/sql/sql-error.js';
import { SqliteAnalyticsStore } from '../storage/analytics/sqlite-analytics-store.js';
import type { ServiceAnswer } from '../bindings/service/service-binding.js';
import type { CronRun } from '../control/deployment-store.js';
import { CronScheduler, type SchedulerClock } from '../scheduling/cron-scheduler.js';
import { scheduledRequest } from '../scheduling/scheduled-request.js';
import { QueueService, queueRequest } from '../bindings/queues/queue-service.js';
import { ControlError } from '../control/control-error.js';
import { DeploymentStore } from '../control/deployment-store.js';
import type { DeployRequest } from '../control/deploy-request.js';
import type { Deployment, ServeLimits, StickyBy, WorkerRecord, WorkerVersion } from '../control/model.js';
import { pickVersion, primaryOf, splitForDeploy, stickyKeyOf } from '../control/rollout.js';
import { RouteTable } from '../control/route-table.js';
import type { VersionSpec } from '../engines/engine-protocol.js';
import { Supervisor, type EngineStatus } from '../engines/supervisor.js';
import type { EngineResult } from '../engines/engine-client.js';
import type { LogSink } from '../observability/log-sink.js';
import { NO_OBSERVER, type FailureKind, type PlatformObserver, type WorkerEvent } from '../observability/platform-observer.js';
import { newSpanId } from '../observability/tracing/trace-context.js';
import { platformResponse, type IncomingRequest, type OutgoingResponse } from '../isolates/request-types.js';
import type { Target } from '../server/http-front.js';
import { SqliteKvStore } from '../storage/kv/sqlite-kv-store.js';
import { isByteSource } from '../isolates/byte-source.js';
import type { ServeConfig } from './serve-config.js';
import { ConcurrencyGate, RateLimiter, queueFull, tooManyRequests } from './worker-gate.js';

export interface DeployResult {
  worker: WorkerRecord;
  version: WorkerVersion;
  deployment: Deployment;
  warnings: string[];
}

export class Platform {
  readonly config: ServeConfig;
  readonly store: DeploymentStore;
  readonly supervisor: Supervisor;
  readonly #observer: PlatformObserver;
  readonly #kvStore: SqliteKvStore;
  /** Workers Analytics Engine: the one writer of `<data>/analytics.sqlite`, fed by every engine, and the SQL API. */
  readonly analytics: AnalyticsService;
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
  /** Durable Object alarms: engines keep the index, this process fires what is due (also after a restart). */
  #alarms: { index: AlarmIndex; scheduler: AlarmScheduler } | null = null;

  private constructor(config: ServeConfig, store: DeploymentStore, supervisor: Supervisor, observer: PlatformObserver, analytics: AnalyticsService) {
    this.config = config;
    this.analytics = analytics;
    this.store = store;
    this.supervisor = supervisor;
    this.#observer = observer;
    this.#kvStore = new SqliteKvStore(config.dataDir);
    this.#routes = new RouteTable([], { devRoutes: config.devRoutes });
    this.#reload();
  }

  /** `observer` hears of every request answered (metrics, usage); by default nothing does. */
  /** `clock`: what the cron scheduler reads time from (tests make it controllable). */
  static async open(config: ServeConfig, log: LogSink, observer: PlatformObserver = NO_OBSERVER, clock?: SchedulerClock): Promise<Platform> {
    const store = new DeploymentStore(config.dataDir);
    // Engines send their workers' points here rather than each writing the file: one writer never
    // waits on another's lock (a busy wait would stall every isolate of an engine) and the supervisor,
    // not the engine, decides whose tenant a point belongs to.
    const analytics = new AnalyticsService(new SqliteAnalyticsStore(config.dataDir), {
      onError: (err) => log.workerError('analytics', null, `Analytics Engine points were not written: ${err instanceof Error ? err.message : String(err)}`),
    });
    // The supervisor reports quarantines; the platform that records them exists only once it has started.
    let onQuarantine: (worker: string, reason: string) => void = () => {};
    let onServiceCall: (caller: string, binding: number, request: IncomingRequest) => Promise<ServiceAnswer> = () => Promise.resolve({ error: 'The server is starting.' });
    const supervisor = await Supervisor.start({
      engines: config.engines,
      dataDir: config.dataDir,
      egressAllow: config.egressAllow,
      maxResident: config.pool.maxResident,
      maxResidentMb: config.pool.maxResidentMb,
      spares: config.pool.spares,
      ...(config.pool.hangMs !== undefined ? { hangMs: config.pool.hangMs } : {}),
      ...(config.pool.engineMemoryMb !== undefined ? { memoryLimitMb: config.pool.engineMemoryMb } : {}),
      objectStorageMb: config.durableObjects.maxStorageMb,
      ...(config.durableObjects.codeUpdateMaxDelayMs !== undefined ? { codeUpdateMaxDelayMs: config.durableObjects.codeUpdateMaxDelayMs } : {}),
      log,
      onQuarantine: (worker, reason) => onQuarantine(worker, reason),
      onServiceCall: (caller, binding, request) => onServiceCall(caller, binding, request),
      onPoints: (points) => analytics.accept(points),
    });
    const platform = new Platform(config, store, supervisor, observer, analytics);
    onQuarantine = (worker, reason) => platform.#quarantine(worker, reason);
    onServiceCall = (caller, binding, request) => platform.#serviceCall(caller, binding, request);
    platform.#queues = new QueueService(config.dataDir, log);
    platform.#startScheduler(clock);
    platform.#startAlarms(log);
    return platform;
  }

  // --- cron triggers ----------------------------------------------------------------------------

  #scheduler: CronScheduler | null = null;

  /** One scheduler for every worker's triggers; runs missed while the server was down are made up once (cron-scheduler.ts). */
  #startScheduler(clock: SchedulerClock | undefined): void {
    this.#scheduler = new CronScheduler((worker, cron, scheduledTime) => {
      this.runScheduled(worker, cron, scheduledTime).catch(() => {});
    }, clock);
    for (const name of this.#workers.keys()) this.#syncTriggers(name);
    const last = new Map<string, number>();
    for (const name of this.#workers.keys()) for (const run of this.store.cronRuns(name)) last.set(`${name} ${run.cron}`, run.scheduledTime);
    this.#scheduler.catchUp((worker, cron) => last.get(`${worker} ${cron}`) ?? null);
  }

  /**
   * A worker's triggers are those of the version taking most of its traffic; which
   * version runs a trigger is drawn by the deployment's percentages, as for a request.
   */
  #syncTriggers(name: string): void {
    this.#syncConsumers(name);
    const deployment = this.#workers.get(name)?.deployment ?? null;
    if (this.#scheduler === null) return;
    if (deployment === null) { this.#scheduler.delete(name); return; }
    const primary = primaryOf(deployment);
    const version = this.store.listVersions(name).find((v) => v.id === primary);
    this.#scheduler.set(name, version?.config.crons ?? []);
  }

  // --- queues -------------------------------------------------------------------------------------

  #queues: QueueService | null = null;

  /**
   * A worker consumes the queues its primary version names, in its tenant's scope; each batch takes the
   * request path to whichever version the deployment picks then.
   */
  #syncConsumers(name: string): void {
    const worker = this.#workers.get(name);
    const deployment = worker?.deployment ?? null;
    if (this.#queues === null) return;
    const version = deployment === null ? undefined : this.store.listVersions(name).find((v) => v.id === primaryOf(deployment));
    this.#queues.setConsumers(name, worker?.tenant ?? name, version?.config.queues?.consumers ?? [], (queue, batch) => {
      const current = this.#workers.get(name);
      if (current === undefined || current.deployment === null) return Promise.resolve(platformResponse(503, 'The consumer is not deployed.\n'));
      return this.#serve(current, current.deployment, queueRequest(queue, batch));
    });
  }

  /** The worker's triggers and when each is next due. */
  triggers(name: string): { cron: string; next: string | null }[] {
    return (this.#scheduler?.upcoming() ?? []).filter((t) => t.worker === name)
      .map((t) => ({ cron: t.cron, next: t.due === null ? null : new Date(t.due).toISOString() }));
  }

  /**
   * Runs the worker's scheduled() handler for `cron` as due at `scheduledTime`, through the same path
   * as a request (version choice, admission, the worker's limits, metrics and logs), and records the
   * outcome as the trigger's last run.
   */
  async runScheduled(name: string, cron: string, scheduledTime: number): Promise<CronRun> {
    const worker = this.#workers.get(name);
    if (worker === undefined || worker.deployment === null) throw new ControlError('not_found', `worker "${name}" has no deployment`);
    const startedAt = new Date().toISOString();
    const started = performance.now();
    const response = await this.#serve(worker, worker.deployment, scheduledRequest(cron, scheduledTime));
    if (isByteSource(response.body)) response.body.cancel('A scheduled run has no response body.');
    const run: CronRun = {
      cron, scheduledTime, startedAt, durationMs: performance.now() - started,
      outcome: response.status === 200 ? 'ok' : response.failure ?? 'exception',
    };
    this.store.recordCronRun(name, run);
    return run;
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

  #serve(worker: WorkerRecord, deployment: Deployment, arrived: IncomingRequest): Promise<OutgoingResponse> {
    const started = performance.now();
    // A cron run, a queue batch or a service binding call has no span yet; a client's request has the front door's.
    const spanId = arrived.spanId ?? newSpanId();
    const request = arrived.spanId === undefined ? { ...arrived, spanId } : arrived;
    const versionId = deployment.versions.length === 1 ? deployment.versions[0]!.id
      : pickVersion(deployment, stickyKeyOf(deployment.sticky, request.headers), Math.random);
    const spec = this.#specOf(versionId);
    const version = this.#numbers.get(versionId) ?? 0;
    if (worker.quarantine !== null) {
      return this.#refuse(request, worker.name, version, 'quarantine',
        platformResponse(503, `Service Unavailable: worker "${worker.name}" is quarantined (${worker.quarantine.reason}). Redeploy it to lift the quarantine.\n`, 'quarantine'));
    }
    if (spec === null) return this.#refuse(request, worker.name, version, 'unavailable', platformResponse(503, 'Service Unavailable: the worker version is not available.\n', 'unavailable'));
    if (spec.limits.ratePerSecond > 0) {
      let limiter = this.#rates.get(worker.name);
      if (limiter === undefined || limiter.ratePerSecond !== spec.limits.ratePerSecond) {
        limiter = new RateLimiter(spec.limits.ratePerSecond);
        this.#rates.set(worker.name, limiter);
      }
      const verdict = limiter.take();
      if (verdict !== true) return this.#refuse(request, worker.name, version, 'rate_limited', tooManyRequests(verdict));
    }
    let gate = this.#gates.get(versionId);
    if (gate === undefined) {
      gate = new ConcurrencyGate(spec.limits.concurrency, spec.limits.queue);
      this.#gates.set(versionId, gate);
    }
    const admitted = gate.run(() => this.supervisor.fetch(spec, request));
    if (admitted === null) return this.#refuse(request, worker.name, version, 'queue_full', queueFull());
    this.#inFlight++;
    return admitted.then((result: EngineResult) => {
      if (--this.#inFlight === 0) this.#draining?.();
      const answered = isByteSource(request.body) ? request.body.answered : undefined;
      this.#observer.request({
        worker: worker.name, version, status: answered ?? result.status, admitted: true,
        durationMs: performance.now() - started, cpuMs: result.cpuMs, coldStartMs: result.coldStartMs,
        memoryMb: spec.limits.memoryMb, failure: answered === undefined ? result.failure ?? null : null,
        traceId: request.traceId, method: request.method, url: request.url, parentSpanId: request.parentSpanId ?? null, spanId,
        ...eventOf(request),
      });
      return result;
    }, (err: unknown) => {
      if (--this.#inFlight === 0) this.#draining?.();
      throw err;
    });
  }

  /**
   * A service binding call out of a running version: the binding is read from the spec the platform
   * built (never from the engine), and the target must be deployed for the caller's tenant. The call
   * then goes where a request for the target would go: its deployment picks the version, and its own
   * admission limits apply. A missing target and another tenant's worker get the same answer, so a
   * binding cannot probe which names other tenants use.
   */
  #serviceCall(callerVersionId: string, index: number, request: IncomingRequest): Promise<ServiceAnswer> {
    const caller = this.#specOf(callerVersionId);
    const binding = caller?.services?.[index];
    if (caller === null || caller === undefined || binding === undefined) return Promise.resolve({ error: 'This service binding does not exist.' });
    const tenant = this.#workers.get(caller.worker)?.tenant ?? null;
    const target = this.#workers.get(binding.service);
    if (target === undefined || target.deployment === null || target.tenant !== tenant) {
      return Promise.resolve({
        error: `Service Unavailable: env.${binding.binding} is bound to worker "${binding.service}", which is not deployed for this worker's tenant.`,
      });
    }
    return this.#serve(target, target.deployment, binding.entrypoint === undefined ? request : { ...request, entrypoint: binding.entrypoint });
  }

  /** An answer the platform gives without running the worker. */
  #refuse(request: IncomingRequest, worker: string, version: number, failure: FailureKind, response: OutgoingResponse): Promise<OutgoingResponse> {
    this.#observer.request({
      worker, version, status: response.status, admitted: false,
      durationMs: 0, cpuMs: 0, coldStartMs: -1, memoryMb: 0, failure,
      traceId: request.traceId, method: request.method, url: request.url, parentSpanId: request.parentSpanId ?? null,
      ...(request.spanId !== undefined ? { spanId: request.spanId } : {}),
      ...eventOf(request),
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

  #startAlarms(log: LogSink): void {
    const index = new AlarmIndex(this.config.dataDir);
    this.#alarms = { index, scheduler: new AlarmScheduler(index, (entry) => this.#fireAlarm(entry), log) };
  }

  /**
   * An alarm goes to the worker's newest deployed version with Durable Objects, in the engine holding
   * the worker's objects; one whose worker is gone or belongs to another tenant now waits.
   */
  #fireAlarm(entry: AlarmEntry): Promise<boolean> | null {
    const worker = this.#workers.get(entry.worker);
    if (worker === undefined || worker.tenant !== entry.scope || worker.deployment === null || worker.quarantine !== null) return null;
    let spec: VersionSpec | null = null;
    for (const { id } of worker.deployment.versions) {
      const candidate = this.#specOf(id);
      if (candidate === null || (candidate.durableObjects ?? []).length === 0) continue;
      if (spec === null || (candidate.number ?? 0) > (spec.number ?? 0)) spec = candidate;
    }
    return spec === null ? null : this.supervisor.alarm(spec, entry.className, entry.id, entry.retries);
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
      ...(version.config.queues !== undefined && version.config.queues.producers.length > 0 ? {
        queues: version.config.queues.producers.map((p) => ({ binding: p.binding, scope: tenant, queue: p.queue, ...(p.deliveryDelay !== undefined ? { deliveryDelay: p.deliveryDelay } : {}) })),
      } : {}),
      services: (version.config.services ?? []).map((s) => ({ binding: s.binding, service: s.service, ...(s.entrypoint !== undefined ? { entrypoint: s.entrypoint } : {}) })),
      cachePartition: tenant,
      analytics: (version.config.analyticsEngineDatasets ?? []).map((d) => ({ binding: d.binding, dataset: d.dataset, tenant })),
      ...(version.config.durableObjects !== undefined ? { durableObjects: version.config.durableObjects, tenant, number: version.number } : {}),
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
      if (request.routes !== null) this.#checkRoutes(name, request.routes);
      const warnings = this.#checkServices(name, request.tenant ?? existing?.tenant ?? name, request.config.services ?? []);
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
      const previousRoutes = this.store.workerRoutes(name);
      const deployment = this.store.deploy(name, versions, request.sticky ?? current?.sticky ?? null, request.routes);
      if (request.routes !== null) {
        // Routes are the worker's, so a canary's config moves every version's traffic: say what it dropped.
        for (const pattern of previousRoutes) {
          if (!request.routes.includes(pattern)) warnings.push(`route "${pattern}" was removed: the deploy's routes do not list it, so no version of "${name}" answers on it now`);
        }
      }
      this.#afterDeploy(name, current);
      return { worker: this.store.getWorker(name)!, version, deployment, warnings };
    });
  }

  /**
   * A worker may bind only workers of its own tenant: binding another tenant's is refused. Cloudflare
   * refuses a binding to a worker that does not exist; here it may be deployed later, so the deploy
   * goes ahead with a warning and calls fail until then.
   */
  #checkServices(name: string, tenant: string, services: readonly { binding: string; service: string }[]): string[] {
    const warnings: string[] = [];
    for (const { binding, service } of services) {
      const target = service === name ? { tenant } : this.store.getWorker(service);
      if (target === null) warnings.push(`env.${binding}: worker "${service}" is not deployed yet; calls through the binding fail until it is`);
      else if (target.tenant !== tenant) throw new ControlError('conflict', `env.${binding}: worker "${service}" belongs to another tenant; a worker may only bind workers of its own tenant`);
    }
    return warnings;
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
    this.#syncTriggers(name);
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
      await this.#ensureWarm(version);
      // Routes stay: a rollback changes which version serves the worker's routes, not which routes it has.
      const deployment = this.store.deploy(name, [{ id: version.id, percent: 100 }], worker.deployment?.sticky ?? null, null);
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
      this.#require(name);
      const versions = this.store.listVersions(name);
      this.store.deleteWorker(name);
      this.#rates.delete(name);
      for (const v of versions) this.#forget(v.id);
      this.#reload();
      // With no deployment left, this drops the worker's triggers and queue consumers.
      this.#syncTriggers(name);
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

  /**
   * Runs an Analytics Engine SQL query over one tenant's points: the worker's tenant when a worker is
   * named. The admin token may name any tenant; the query still sees that one tenant's rows only.
   */
  analyticsQuery(scope: { tenant?: string; worker?: string }, sql: string): FormattedResult {
    const tenant = scope.worker !== undefined ? this.#require(scope.worker).tenant : scope.tenant;
    if (tenant === undefined) throw new ControlError('invalid_request', 'name a tenant (?tenant=) or a worker (?worker=) whose data to query');
    try {
      return this.analytics.query(tenant, sql);
    } catch (err) {
      if (err instanceof AnalyticsSqlError || err instanceof AnalyticsQueryTimeout) throw new ControlError('invalid_request', err.message);
      throw err;
    }
  }

  engines(): Promise<EngineStatus[]> {
    return this.supervisor.stats();
  }

  /** Waits (up to `graceMs`) for requests in flight, then stops the engines, which finish waitUntil work. */
  async shutdown(graceMs: number): Promise<void> {
    this.#scheduler?.close();
    this.#alarms?.scheduler.close();
    this.#queues?.stop();
    const deadline = performance.now() + graceMs;
    if (this.#inFlight > 0) {
      await new Promise<void>((resolve) => {
        this.#draining = resolve;
        setTimeout(resolve, graceMs).unref();
      });
    }
    await this.supervisor.shutdown(Math.max(0, deadline - performance.now()));
    this.analytics.close();
    this.#queues?.close();
    this.#kvStore.close();
    this.#alarms?.index.close();
    this.store.close();
  }
}

/** The event a cron run or queue batch stands for, for observers; nothing for a fetch. */
function eventOf(request: IncomingRequest): { event?: WorkerEvent } {
  if (request.scheduled !== undefined) return { event: { kind: 'scheduled', cron: request.scheduled.cron, scheduledTime: request.scheduled.scheduledTime } };
  if (request.queue !== undefined) return { event: { kind: 'queue', queue: request.queue.queue } };
  return {};
}
