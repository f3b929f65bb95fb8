// A deployed worker and the isolate it currently lives in. The isolate is created on the first request
// (a cold start) or ahead of time by warm(), replaced after a limit breach, and shared by all of the
// worker's requests in between.
import type ivm from 'isolated-vm';
import type { BindingDescriptor } from '../../shared/bindings.js';
import type { WorkerLimits } from '../workers/worker-config.js';
import type { IsolatePool } from './isolate-pool.js';
import { ModuleLoadError } from './bridge/sandbox-isolate.js';
import { WorkerInstance, type WorkerServices } from './worker-instance.js';
import { platformResponse, type IncomingRequest, type OutgoingResponse } from './request-types.js';

export interface WorkerSpec {
  name: string;
  /** The bundled ES module. */
  code: string;
  /** Shown in stack traces and load errors. */
  filename: string;
  vars: Record<string, unknown>;
  /** Everything in env besides vars, in the order env lists it. */
  bindings: BindingDescriptor[];
  limits: WorkerLimits;
}

export interface ColdStart { ms: number }

/**
 * After a failed start, requests are answered from the remembered failure for this long instead of
 * evaluating the module again: a module that spins or allocates at top level would otherwise cost a
 * fresh isolate and a full startup budget of the host's thread on every request.
 */
const START_RETRY_MS = 5_000;

export class ResidentWorker {
  readonly spec: WorkerSpec;
  readonly #pool: IsolatePool;
  readonly #services: WorkerServices;
  readonly #varsJson: string;
  readonly #bindingsJson: string;
  readonly #moduleCache: { data: ivm.ExternalCopy<ArrayBuffer> | null } = { data: null };
  #instance: WorkerInstance | null = null;
  #startFailure: { message: string; at: number } | null = null;
  /** Observers of cold starts (benchmarks, metrics). */
  onColdStart: (start: ColdStart) => void = () => {};

  constructor(spec: WorkerSpec, pool: IsolatePool, services: WorkerServices) {
    this.spec = spec;
    this.#pool = pool;
    this.#services = services;
    this.#varsJson = JSON.stringify(spec.vars);
    this.#bindingsJson = JSON.stringify(spec.bindings);
  }

  get resident(): boolean { return this.#instance !== null && !this.#instance.dead; }
  get instance(): WorkerInstance | null { return this.#instance; }

  /** Loads the module now; throws ModuleLoadError with the tenant's file and line when it cannot. */
  warm(): WorkerInstance {
    if (this.#instance !== null && !this.#instance.dead) return this.#instance;
    const started = performance.now();
    this.#services.beforeCall?.(null);
    const sandbox = this.#pool.acquire(this.spec.limits.memoryMb);
    // The instance answers bridge calls from the start: module top-level code may parse URLs, build
    // URLPatterns or log. Request-bound I/O is refused there, as on Workers, since no request owns it.
    const instance = new WorkerInstance(this.spec.name, sandbox, this.spec.limits, this.#services);
    try {
      sandbox.loadModule(this.spec.code, this.spec.filename, this.#moduleCache, this.spec.limits.cpuMs * 20);
      const problem = sandbox.install(this.#varsJson, this.#bindingsJson);
      if (problem !== null) throw new ModuleLoadError(`${this.spec.filename}: ${problem}`);
    } catch (err) {
      sandbox.dispose();
      throw err;
    }
    instance.onDead = () => { if (this.#instance === instance) this.#instance = null; };
    this.#instance = instance;
    this.onColdStart({ ms: performance.now() - started });
    return instance;
  }

  fetch(request: IncomingRequest): Promise<OutgoingResponse> {
    const failure = this.#startFailure;
    if (failure !== null && this.#instance === null && performance.now() - failure.at < START_RETRY_MS) {
      return Promise.resolve(this.#failedStart(request, failure.message));
    }
    let instance: WorkerInstance;
    try {
      instance = this.warm();
    } catch (err) {
      const message = `Worker failed to start: ${err instanceof Error ? err.message : String(err)}`;
      this.#startFailure = { message, at: performance.now() };
      return Promise.resolve(this.#failedStart(request, message));
    }
    this.#startFailure = null;
    return instance.fetch(request);
  }

  #failedStart(request: IncomingRequest, message: string): OutgoingResponse {
    this.#services.log.workerError(this.spec.name, request.traceId, message);
    return platformResponse(500, 'Internal Server Error: the worker failed to start.\n', 'exception');
  }

  /** Drops the isolate; in-flight requests in it are answered 503. */
  dispose(): void {
    const instance = this.#instance;
    this.#instance = null;
    instance?.retire();
  }
}
