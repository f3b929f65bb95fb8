// Durable Objects for one process: the storage of every object (a SQLite file each under
// <data>/durable-objects), the alarm index, and a directory of live objects per worker. `islet dev`
// (Islet) and each engine of `islet serve` hold one; where alarms are fired from differs (see README.md).
import { BindingKind, type BindingDescriptor } from '../../../shared/bindings.js';
import type { WorkerInstance } from '../../isolates/worker-instance.js';
import type { LogSink } from '../../observability/log-sink.js';
import { AlarmIndex } from '../../storage/durable-objects/alarm-index.js';
import { SqliteObjectStorageProvider } from '../../storage/durable-objects/sqlite-object-storage.js';
import type { DurableObjectBindingConfig } from '../../workers/worker-config.js';
import { ObjectDirectory } from './object-directory.js';
import { ObjectNamespaceKey } from './object-ids.js';
import { DurableObjectsHost } from './object-ops.js';

export interface DurableObjectsOptions {
  dataDir: string;
  log: LogSink;
  /** How long an object without events stays in memory (default 10 s, as Cloudflare). */
  idleMs?: number;
  /** Bytes each object's database may hold (default DEFAULT_OBJECT_STORAGE_MB). */
  maxStorageBytes?: number;
  /** How long an object active at a deploy keeps its code (default DEFAULT_CODE_UPDATE_MAX_DELAY_MS). */
  codeUpdateMaxDelayMs?: number;
}

export class DurableObjectsService {
  readonly storage: SqliteObjectStorageProvider;
  readonly alarms: AlarmIndex;
  readonly #log: LogSink;
  readonly #idleMs: number | undefined;
  readonly #codeUpdateMaxDelayMs: number | undefined;
  readonly #directories = new Map<string, ObjectDirectory>();

  constructor(options: DurableObjectsOptions) {
    this.storage = new SqliteObjectStorageProvider(options.dataDir, options.maxStorageBytes !== undefined ? { maxBytes: options.maxStorageBytes } : {});
    this.alarms = new AlarmIndex(options.dataDir);
    this.#log = options.log;
    this.#idleMs = options.idleMs;
    this.#codeUpdateMaxDelayMs = options.codeUpdateMaxDelayMs;
  }

  /** The worker's directory, created on first use; `target` (its current isolate) replaces the last one given. */
  directory(scope: string, worker: string, target: () => WorkerInstance): ObjectDirectory {
    const key = `${scope}\0${worker}`;
    let directory = this.#directories.get(key);
    if (directory === undefined) {
      directory = new ObjectDirectory({
        scope, worker, storage: this.storage, alarms: this.alarms, log: this.#log, target,
        ...(this.#idleMs !== undefined ? { idleMs: this.#idleMs } : {}),
        ...(this.#codeUpdateMaxDelayMs !== undefined ? { codeUpdateMaxDelayMs: this.#codeUpdateMaxDelayMs } : {}),
      });
      this.#directories.set(key, directory);
    } else {
      directory.target = target;
    }
    return directory;
  }

  /** The directory of a worker this process holds objects of, if any. */
  find(scope: string, worker: string): ObjectDirectory | null {
    return this.#directories.get(`${scope}\0${worker}`) ?? null;
  }

  /** The host half a worker's isolate answers its Durable Object calls with. */
  host(directory: ObjectDirectory, bindings: readonly DurableObjectBindingConfig[]): DurableObjectsHost {
    return new DurableObjectsHost(directory, bindings.map((b) => ({
      className: b.className, key: new ObjectNamespaceKey(directory.scope, directory.worker, b.className),
    })));
  }

  /** Shutdown: clients of hibernatable WebSockets are told 1001 while the process can still write to them. */
  closeSockets(): void {
    for (const directory of this.#directories.values()) directory.closeSockets();
  }

  close(): void {
    for (const directory of this.#directories.values()) directory.close();
    this.#directories.clear();
    this.alarms.close();
  }
}

/** The env descriptors of a worker's Durable Object bindings: the sandbox needs only the class name. */
export function objectBindingDescriptors(bindings: readonly DurableObjectBindingConfig[]): BindingDescriptor[] {
  return bindings.map((b, index) => ({ kind: BindingKind.DurableObject, name: b.binding, index, data: { className: b.className } }));
}
