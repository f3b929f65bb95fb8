// Runs tenants' isolates in K engine processes so that a crash V8 cannot survive (an out-of-memory
// abort, a native fault) or a kill takes down one engine, not the server: the engine is replaced at
// once (a booted standby takes its slot), only the requests in flight in it fail (502), and a worker
// whose code keeps being the one running when engines die is quarantined. Each version lives in one
// fixed engine (a hash of its id), so it has one isolate and its cold start is paid once.
import { totalmem } from 'node:os';
import type { IncomingRequest } from '../isolates/request-types.js';
import { platformResponse } from '../isolates/request-types.js';
import type { AnalyticsPoint } from '../storage/analytics/analytics-store.js';
import type { LogSink } from '../observability/log-sink.js';
import type { FailureKind } from '../observability/platform-observer.js';
import { EgressPolicy } from '../outbound/egress-policy.js';
import type { EngineResult, WarmResult } from './engine-client.js';
import type { EngineOptions } from './engine-host.js';
import { describeExit, EngineProcess, type EngineExit } from './engine-process.js';
import type { EngineStats, VersionSpec } from './engine-protocol.js';
import { LocalEngine } from './local-engine.js';
import type { ServiceCallDispatch } from './service-calls.js';
import { UsageTotals } from '../observability/usage/usage-totals.js';

export interface QuarantineRule {
  /** Engine deaths blamed on one worker ... */
  deaths: number;
  /** ... within this long quarantine it. */
  windowMs: number;
}

export interface SupervisorOptions {
  /** Engine processes. 0 runs one engine in this process: no crash containment (tests, most throughput). */
  engines: number;
  dataDir: string;
  /** CIDRs and hostnames tenant subrequests may reach beyond the public Internet. */
  egressAllow?: readonly string[];
  /** Per engine: isolates kept resident (default 1000). */
  maxResident?: number;
  /** Per engine: resident isolates' heaps together, in MB (default 4096). */
  maxResidentMb?: number;
  /** Per engine: booted isolates kept ready for cold starts (default 2). */
  spares?: number;
  /** An engine silent for this long (at least) is killed and the code running in it blamed (default 10 s). */
  hangMs?: number;
  /**
   * Per engine: resident memory (MiB) past which it is killed and the code running in it blamed
   * (default: three quarters of the machine's memory shared among the engines).
   */
  memoryLimitMb?: number;
  /** Per Durable Object: MiB its database may hold (default 1024). */
  objectStorageMb?: number;
  /** How long an object active at a deploy keeps its code (default 300 s, Cloudflare's max_delay). */
  codeUpdateMaxDelayMs?: number;
  /** Keep one booted engine process ready to take a dead engine's slot at once (default true). */
  standby?: boolean;
  log: LogSink;
  /** Where Analytics Engine points from the engines go, checked and scoped (one writer for every engine). */
  onPoints?: (points: AnalyticsPoint[]) => void;
  onQuarantine?: (worker: string, reason: string) => void;
  /** Answers service binding calls out of the engines' workers (the platform's routing). */
  onServiceCall?: ServiceCallDispatch;
  /** Default: 3 deaths within 10 minutes. */
  quarantine?: QuarantineRule;
  /** How long a request waits for its engine's replacement before a 503 (default 5000). */
  replaceWaitMs?: number;
  /** Engines' own stdout and stderr (V8's fatal error reports), and the supervisor's notes on engines. Default: stderr. */
  engineOutput?: (text: string) => void;
}

export interface EngineStatus {
  index: number;
  pid: number;
  up: boolean;
  /** Times this slot's engine has been replaced. */
  restarts: number;
  inFlight: number;
  resident: number;
  rssBytes: number;
  /** Heap of each resident isolate, as the engine last measured it. */
  isolates: EngineStats['isolates'];
}

type Engine = EngineProcess | LocalEngine;

interface Slot {
  readonly index: number;
  /** Serving; null while being replaced. */
  engine: Engine | null;
  /** Its replacement, until it is ready. */
  booting: EngineProcess | null;
  restarts: number;
  /** Consecutive engines that ended before they were ready: the restart backs off. */
  failedStarts: number;
  readonly waiters: Set<(engine: Engine | null) => void>;
}

const DEFAULT_RULE: QuarantineRule = { deaths: 3, windowMs: 10 * 60_000 };
const STATS_TIMEOUT_MS = 2_000;

/**
 * The engine slot of a worker: FNV-1a of its name, modulo the engine count. Every version of a worker
 * runs in one engine, so each Durable Object has one live instance, which moves to a new version
 * within that engine (src/host/bindings/durable-objects/README.md).
 */
export function engineSlot(workerName: string, engines: number): number {
  if (engines <= 1) return 0;
  let hash = 0x811c9dc5;
  for (let i = 0; i < workerName.length; i++) hash = Math.imul(hash ^ workerName.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % engines;
}

/** An engine process's memory besides its isolates' heaps: Node, isolated-vm, SQLite caches. */
const ENGINE_OWN_MB = 512;

/**
 * [pool] engine_memory_mb when not set: three quarters of the machine's memory shared among the
 * engines, but never below what an engine may hold by max_resident_mb plus its own, or a well-behaved
 * engine on a machine with many cores and little memory would be killed.
 */
export function defaultEngineMemoryMb(totalMb: number, engines: number, maxResidentMb: number): number {
  return Math.max(Math.floor(totalMb * 0.75 / Math.max(1, engines)), maxResidentMb + ENGINE_OWN_MB);
}

export class Supervisor {
  /** What the engines report of their workers' usage (subrequests, bytes, binding operations), summed since start. */
  readonly usage = new UsageTotals();
  readonly #options: SupervisorOptions;
  readonly #engineOptions: EngineOptions;
  readonly #rule: QuarantineRule;
  readonly #output: (text: string) => void;
  readonly #slots: Slot[] = [];
  readonly #crashes = new Map<string, number[]>();
  readonly #quarantined = new Set<string>();
  #standby: EngineProcess | null = null;
  /** Version id -> worker name, for the versions engines were given: where a drop goes. */
  readonly #workers = new Map<string, string>();
  #standbyFailures = 0;
  #stopping = false;

  private constructor(options: SupervisorOptions) {
    this.#options = options;
    this.#rule = options.quarantine ?? DEFAULT_RULE;
    this.#output = options.engineOutput ?? ((text) => process.stderr.write(text));
    this.#engineOptions = {
      dataDir: options.dataDir,
      egressAllow: options.egressAllow ?? [],
      spares: options.spares ?? 2,
      maxResident: options.maxResident ?? 1000,
      maxResidentMb: options.maxResidentMb ?? 4096,
      ...(options.hangMs !== undefined ? { hangMs: options.hangMs } : {}),
      memoryLimitMb: options.memoryLimitMb ?? defaultEngineMemoryMb(totalmem() / 2 ** 20, options.engines, options.maxResidentMb ?? 4096),
      ...(options.objectStorageMb !== undefined ? { objectStorageMb: options.objectStorageMb } : {}),
      ...(options.codeUpdateMaxDelayMs !== undefined ? { codeUpdateMaxDelayMs: options.codeUpdateMaxDelayMs } : {}),
    };
    const count = Math.max(1, options.engines);
    for (let index = 0; index < count; index++) {
      this.#slots.push({ index, engine: null, booting: null, restarts: 0, failedStarts: 0, waiters: new Set() });
    }
  }

  /** Resolves once every engine (and the standby) is ready; rejects when one cannot start. */
  static async start(options: SupervisorOptions): Promise<Supervisor> {
    // A bad allow entry throws EgressConfigError here, not in every engine.
    new EgressPolicy(options.egressAllow ?? []);
    const supervisor = new Supervisor(options);
    if (options.engines === 0) {
      const local = new LocalEngine(supervisor.#engineOptions, options.log, options.onServiceCall);
      local.client.onPoints = options.onPoints ?? null;
      local.client.onUsage = (report) => supervisor.usage.add(local.client, report);
      supervisor.#slots[0]!.engine = local;
      return supervisor;
    }
    const engines: (EngineProcess | null)[] = supervisor.#slots.map((slot) => supervisor.#install(slot, supervisor.#fork()));
    if (options.standby ?? true) engines.push(supervisor.#refillStandby());
    try {
      await Promise.all(engines.map((engine) => engine?.ready));
    } catch (err) {
      await supervisor.shutdown(0);
      throw err;
    }
    return supervisor;
  }

  fetch(spec: VersionSpec, request: IncomingRequest): Promise<EngineResult> {
    if (this.#stopping) return Promise.resolve(unavailable('Service Unavailable: the server is shutting down.\n'));
    if (this.#quarantined.has(spec.worker)) {
      return Promise.resolve(unavailable('Service Unavailable: this worker is quarantined because its requests kept stopping engines.\n', 'quarantine'));
    }
    const slot = this.#slots[this.#slotIndex(spec)]!;
    const engine = slot.engine;
    if (engine !== null && engine.alive) return engine.client.fetch(spec, request);
    return this.#whenUp(slot).then((up) => up === null
      ? unavailable('Service Unavailable: the engine running this worker is restarting.\n')
      : up.client.fetch(spec, request));
  }

  /** Loads and evaluates the version's module now, in the engine that will serve it (a deploy check). */
  async warm(spec: VersionSpec): Promise<WarmResult> {
    const slot = this.#slots[this.#slotIndex(spec)]!;
    const engine = slot.engine !== null && slot.engine.alive ? slot.engine : await this.#whenUp(slot);
    if (engine === null) return { ok: false, error: 'no engine is available to load the worker' };
    return engine.client.warm(spec);
  }

  /** The spec changed (secrets): the engine holding it takes the new one and drops the old isolate. */
  replaceSpec(spec: VersionSpec): void {
    this.#slots[this.#slotIndex(spec)]!.engine?.client.replaceSpec(spec);
  }

  drop(versionId: string): void {
    const worker = this.#workers.get(versionId);
    if (worker === undefined) return;
    this.#workers.delete(versionId);
    this.#slots[engineSlot(worker, this.#slots.length)]!.engine?.client.drop(versionId);
  }

  /** Runs a Durable Object's alarm in the engine of the worker's `spec` version; false when it failed or could not run. */
  async alarm(spec: VersionSpec, className: string, objectId: string, retries: number): Promise<boolean> {
    if (this.#stopping || this.#quarantined.has(spec.worker)) return false;
    const slot = this.#slots[this.#slotIndex(spec)]!;
    const engine = slot.engine !== null && slot.engine.alive ? slot.engine : await this.#whenUp(slot);
    return engine === null ? false : engine.client.alarm(spec, className, objectId, retries);
  }

  #slotIndex(spec: VersionSpec): number {
    this.#workers.set(spec.id, spec.worker);
    return engineSlot(spec.worker, this.#slots.length);
  }

  isQuarantined(worker: string): boolean { return this.#quarantined.has(worker); }

  /** Lets a quarantined worker run again (a new deploy) and forgets the crashes counted against it. */
  release(worker: string): void {
    this.#quarantined.delete(worker);
    this.#crashes.delete(worker);
  }

  async stats(): Promise<EngineStatus[]> {
    return Promise.all(this.#slots.map(async (slot) => {
      const engine = slot.engine;
      const stats = engine === null ? null : await engine.client.stats(STATS_TIMEOUT_MS);
      return {
        index: slot.index, pid: engine?.pid ?? 0, up: stats !== null, restarts: slot.restarts,
        inFlight: stats?.inFlight ?? 0, resident: stats?.resident ?? 0, rssBytes: stats?.rssBytes ?? 0,
        isolates: stats?.isolates ?? [],
      };
    }));
  }

  /** Engines answer what they have and run waitUntil work for up to `graceMs`, then exit. */
  async shutdown(graceMs: number): Promise<void> {
    this.#stopping = true;
    const ended: Promise<void>[] = [];
    for (const slot of this.#slots) {
      for (const waiter of slot.waiters) waiter(null);
      slot.waiters.clear();
      if (slot.booting !== null) ended.push(slot.booting.kill());
      if (slot.engine !== null) ended.push(slot.engine.shutdown(graceMs));
    }
    if (this.#standby !== null) ended.push(this.#standby.kill());
    await Promise.all(ended);
  }

  #fork(): EngineProcess {
    const engine = new EngineProcess(this.#engineOptions, this.#options.log, this.#output, this.#options.onServiceCall);
    engine.client.onPoints = this.#options.onPoints ?? null;
    engine.client.onUsage = (report) => this.usage.add(engine.client, report);
    return engine;
  }

  /** Puts `engine` into `slot` as soon as it is ready; returns it. */
  #install(slot: Slot, engine: EngineProcess): EngineProcess {
    slot.booting = engine;
    engine.onExit = (exit) => this.#onExit(slot, engine, exit);
    engine.ready.then(() => {
      if (slot.booting !== engine) return;
      slot.booting = null;
      slot.engine = engine;
      slot.failedStarts = 0;
      for (const waiter of slot.waiters) waiter(engine);
      slot.waiters.clear();
    }, () => {});
    return engine;
  }

  #onExit(slot: Slot, engine: EngineProcess, exit: EngineExit): void {
    if (slot.engine === engine) slot.engine = null;
    if (slot.booting === engine) slot.booting = null;
    this.usage.forget(engine.client);
    if (exit.blamed !== null) this.#blame(exit.blamed.worker, exit);
    if (this.#stopping || exit.expected) return;
    this.#output(`islet: engine ${slot.index} (pid ${engine.pid}) stopped (${describeExit(exit)})`
      + `${exit.blamed === null ? '' : `, running ${exit.blamed.worker}`}; replacing it\n`);
    slot.restarts++;
    if (!exit.wasReady) slot.failedStarts++;
    const standby = this.#standby;
    if (standby !== null && standby.alive && slot.failedStarts === 0) {
      this.#standby = null;
      this.#install(slot, standby);
      this.#refillStandby();
      return;
    }
    // An engine that cannot even start (a broken build, no memory) is retried with a growing pause.
    const delay = slot.failedStarts === 0 ? 0 : Math.min(5_000, 100 * 2 ** slot.failedStarts);
    setTimeout(() => { if (!this.#stopping && slot.booting === null && slot.engine === null) this.#install(slot, this.#fork()); }, delay).unref();
  }

  #refillStandby(): EngineProcess | null {
    if (this.#stopping || this.#standby !== null || !(this.#options.standby ?? true)) return null;
    const engine = this.#fork();
    this.#standby = engine;
    engine.ready.then(() => { this.#standbyFailures = 0; }, () => {});
    engine.onExit = (exit) => {
      this.usage.forget(engine.client);
      if (this.#standby !== engine) return;
      this.#standby = null;
      if (this.#stopping) return;
      if (!exit.wasReady) this.#standbyFailures++;
      const delay = this.#standbyFailures === 0 ? 0 : Math.min(5_000, 100 * 2 ** this.#standbyFailures);
      setTimeout(() => this.#refillStandby(), delay).unref();
    };
    return engine;
  }

  #whenUp(slot: Slot): Promise<Engine | null> {
    if (this.#stopping) return Promise.resolve(null);
    return new Promise((resolve) => {
      const done = (engine: Engine | null) => { clearTimeout(timer); resolve(engine); };
      const timer = setTimeout(() => { slot.waiters.delete(done); resolve(null); }, this.#options.replaceWaitMs ?? 5_000);
      slot.waiters.add(done);
    });
  }

  #blame(worker: string, exit: EngineExit): void {
    const now = Date.now();
    const { deaths, windowMs } = this.#rule;
    const recent = (this.#crashes.get(worker) ?? []).filter((at) => now - at < windowMs);
    recent.push(now);
    this.#crashes.set(worker, recent);
    this.#options.log.workerError(worker, null,
      `The engine running this worker stopped (${describeExit(exit)}) while the worker's code was running `
      + `(${recent.length} of ${deaths} within ${minutes(windowMs)} before quarantine).`);
    if (recent.length < deaths || this.#quarantined.has(worker)) return;
    this.#quarantined.add(worker);
    const reason = `its code was running when ${recent.length} engines stopped within ${minutes(windowMs)} (last: ${describeExit(exit)})`;
    this.#options.log.workerError(worker, null, `Quarantined: ${reason}.`);
    try {
      this.#options.onQuarantine?.(worker, reason);
    } catch (err) {
      this.#output(`islet: onQuarantine threw: ${err instanceof Error ? err.message : String(err)}\n`);
    }
  }
}

function unavailable(message: string, failure: FailureKind = 'unavailable'): EngineResult {
  return { ...platformResponse(503, message, failure), cpuMs: 0, coldStartMs: -1 };
}

function minutes(ms: number): string {
  const value = ms / 60_000;
  return value === 1 ? '1 minute' : `${Number.isInteger(value) ? value : value.toFixed(1)} minutes`;
}
