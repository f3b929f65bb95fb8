// The worker `islet dev` serves: rebuilt and swapped in when its files change. A build or load that
// fails is reported and the previous version keeps serving, so a typo never takes the server down.
import { join } from 'node:path';
import type { Islet, LoadedProject } from '../islet.js';
import type { ResidentWorker } from '../isolates/resident-worker.js';
import type { IncomingRequest, OutgoingResponse } from '../isolates/request-types.js';
import { FileWatcher } from './file-watcher.js';
import type { WorkerConfig } from './worker-config.js';

export interface DevWorkerEvents {
  onReload?: (file: string) => void;
  /** After every successful build but the first. */
  onReloaded?: (config: WorkerConfig, ms: number) => void;
  onError?: (err: unknown) => void;
  onWarnings?: (warnings: string[]) => void;
}

// An old version is given this long to finish its requests before its isolate is dropped.
const DRAIN_MS = 30_000;

export class DevWorker {
  readonly #islet: Islet;
  readonly #loadConfig: () => WorkerConfig & { warnings?: string[] };
  readonly #events: DevWorkerEvents;
  readonly #watcher: FileWatcher;
  #current: ResidentWorker | null = null;
  #config: WorkerConfig | null = null;
  #reloading: Promise<void> = Promise.resolve();
  #inputs: string[] = [];

  constructor(islet: Islet, loadConfig: () => WorkerConfig & { warnings?: string[] }, events: DevWorkerEvents = {}) {
    this.#islet = islet;
    this.#loadConfig = loadConfig;
    this.#events = events;
    this.#watcher = new FileWatcher((file) => {
      this.#events.onReload?.(file);
      this.#reloading = this.#reloading.then(() => this.#build().catch((err: unknown) => this.#events.onError?.(err)));
    });
  }

  get config(): WorkerConfig | null { return this.#config; }

  /** The worker serving now (the dashboard reads its cold starts and heap). */
  get current(): ResidentWorker | null { return this.#current; }

  /** First build; throws when the project cannot be built or loaded, so the CLI can exit with the error. */
  async start(): Promise<WorkerConfig> {
    await this.#build();
    return this.#config!;
  }

  async #build(): Promise<void> {
    const started = performance.now();
    const config = this.#loadConfig();
    if (config.warnings !== undefined && config.warnings.length > 0) this.#events.onWarnings?.(config.warnings);
    // .dev.vars is read with the config, so editing it reloads like editing the config does.
    const devVars = join(config.rootDir, '.dev.vars');
    const own = [config.main, ...(config.configPath === null ? [] : [config.configPath]), devVars];
    let loaded: LoadedProject;
    try {
      loaded = await this.#islet.loadProject(config);
    } catch (err) {
      // Keep watching what the last good build used, so fixing the error triggers the next attempt.
      this.#watcher.watch([...this.#inputs, ...own]);
      throw err;
    }
    this.#inputs = loaded.inputs;
    this.#watcher.watch([...loaded.inputs, ...own]);
    if (loaded.warnings.length > 0) this.#events.onWarnings?.(loaded.warnings);
    // Evaluate the module before it takes traffic: a module that throws never replaces a working one.
    warmMapped(loaded);
    const previous = this.#current;
    this.#current = loaded.worker;
    this.#config = config;
    if (previous !== null) {
      drainThenDispose(previous);
      this.#events.onReloaded?.(config, performance.now() - started);
    }
  }

  fetch(request: IncomingRequest): Promise<OutgoingResponse> {
    if (this.#current === null) throw new Error('the dev worker has not started');
    return this.#current.fetch(request);
  }

  close(): void {
    this.#watcher.close();
    this.#current?.dispose();
    this.#current = null;
  }
}

/** Loads the module now; a load error names the tenant's files, not the bundle's lines. */
export function warmMapped(loaded: LoadedProject): void {
  try {
    loaded.worker.warm();
  } catch (err) {
    if (err instanceof Error) err.message = loaded.mapStack(err.message);
    throw err;
  }
}

function drainThenDispose(worker: ResidentWorker): void {
  const deadline = Date.now() + DRAIN_MS;
  const check = () => {
    const busy = worker.instance !== null && worker.instance.inFlight > 0;
    if (busy && Date.now() < deadline) setTimeout(check, 100).unref();
    else worker.dispose();
  };
  check();
}
