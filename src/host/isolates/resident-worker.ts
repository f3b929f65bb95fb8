// A deployed worker and the isolate it currently lives in. The isolate is created on the first request
// (a cold start) or ahead of time by warm(), replaced after a limit breach, and shared by all of the
// worker's requests in between.
import type ivm from 'isolated-vm';
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
  kvBindingNames: string[];
  limits: WorkerLimits;
}

export interface ColdStart { ms: number }

export class ResidentWorker {
  readonly spec: WorkerSpec;
  readonly #pool: IsolatePool;
  readonly #services: WorkerServices;
  readonly #varsJson: string;
  readonly #moduleCache: { data: ivm.ExternalCopy<ArrayBuffer> | null } = { data: null };
  #instance: WorkerInstance | null = null;
  /** Observers of cold starts (benchmarks, metrics). */
  onColdStart: (start: ColdStart) => void = () => {};

  constructor(spec: WorkerSpec, pool: IsolatePool, services: WorkerServices) {
    this.spec = spec;
    this.#pool = pool;
    this.#services = services;
    this.#varsJson = JSON.stringify(spec.vars);
  }

  get resident(): boolean { return this.#instance !== null && !this.#instance.dead; }
  get instance(): WorkerInstance | null { return this.#instance; }

  /** Loads the module now; throws ModuleLoadError with the tenant's file and line when it cannot. */
  warm(): WorkerInstance {
    if (this.#instance !== null && !this.#instance.dead) return this.#instance;
    const started = performance.now();
    const sandbox = this.#pool.acquire(this.spec.limits.memoryMb);
    try {
      sandbox.loadModule(this.spec.code, this.spec.filename, this.#moduleCache, this.spec.limits.cpuMs * 20);
      const problem = sandbox.install(this.#varsJson, this.spec.kvBindingNames);
      if (problem !== null) throw new ModuleLoadError(`${this.spec.filename}: ${problem}`);
    } catch (err) {
      sandbox.dispose();
      throw err;
    }
    const instance = new WorkerInstance(this.spec.name, sandbox, this.spec.limits, this.#services);
    instance.onDead = () => { if (this.#instance === instance) this.#instance = null; };
    this.#instance = instance;
    this.onColdStart({ ms: performance.now() - started });
    return instance;
  }

  fetch(request: IncomingRequest): Promise<OutgoingResponse> {
    let instance: WorkerInstance;
    try {
      instance = this.warm();
    } catch (err) {
      this.#services.log.workerError(this.spec.name, request.traceId, err instanceof Error ? err.message : String(err));
      return Promise.resolve(platformResponse(500, 'Internal Server Error: the worker failed to start.\n'));
    }
    return instance.fetch(request);
  }

  /** Drops the isolate; in-flight requests in it are answered 503. */
  dispose(): void {
    const instance = this.#instance;
    this.#instance = null;
    instance?.retire();
  }
}
