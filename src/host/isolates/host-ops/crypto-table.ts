// The host half of an isolate's CryptoKeys and DigestStreams. Key material never enters the isolate:
// the tenant holds an integer handle, and this table maps it to Node's key object. One table per
// worker instance, dropped with it; the runtime releases handles whose owners were collected.
import type { Hash, webcrypto } from 'node:crypto';

export interface KeyEntry {
  kind: 'key';
  key: webcrypto.CryptoKey;
  /** The name the tenant used when it is Workers' alias for a standard one ("NODE-ED25519"). */
  alias: string | null;
}
export interface HashEntry { kind: 'hash'; hash: Hash }
type Entry = KeyEntry | HashEntry;

/**
 * Host memory a tenant can pin, since the isolate heap limit does not see it: RSA keys cost a few
 * KB each here. Garbage the isolate has not collected yet counts too, so this sits well above what
 * a worker keeps alive.
 */
export const MAX_HANDLES = 16_384;
/**
 * Node runs WebCrypto jobs on libuv's small thread pool, shared by every worker in the process. A
 * worker gets at most this many of its threads; the rest of its operations wait their turn here.
 */
const MAX_RUNNING = 2;
/** Waiting operations hold copies of their input in host memory, outside the isolate's limit. */
const MAX_QUEUED = 1_024;
const MAX_QUEUED_BYTES = 64 * 1024 * 1024;

interface Waiting { start: () => void; bytes: number }

export class CryptoTable {
  readonly #entries = new Map<number, Entry>();
  // Handles are never reused, so a stale one can never reach a newer key.
  #next = 1;
  #closed = false;
  #running = 0;
  #queuedBytes = 0;
  readonly #queue: Waiting[] = [];

  get size(): number { return this.#entries.size; }
  get closed(): boolean { return this.#closed; }

  /** Stores an entry and returns its handle, or null when the worker already holds too many. */
  add(entry: Entry): number | null {
    if (this.#closed || this.#entries.size >= MAX_HANDLES) return null;
    const handle = this.#next++;
    this.#entries.set(handle, entry);
    return handle;
  }

  key(handle: unknown): KeyEntry | null {
    const entry = typeof handle === 'number' ? this.#entries.get(handle) : undefined;
    return entry?.kind === 'key' ? entry : null;
  }

  hash(handle: unknown): HashEntry | null {
    const entry = typeof handle === 'number' ? this.#entries.get(handle) : undefined;
    return entry?.kind === 'hash' ? entry : null;
  }

  release(handle: unknown): void {
    if (typeof handle === 'number') this.#entries.delete(handle);
  }

  /** The isolate is gone: every key goes with it and waiting work never starts. */
  close(): void {
    this.#closed = true;
    this.#entries.clear();
    this.#queue.length = 0;
    this.#queuedBytes = 0;
  }

  /**
   * Runs `work` when one of this worker's slots is free. Null when too much is already waiting,
   * which the caller reports rather than queueing without bound.
   */
  schedule<T>(bytes: number, work: () => Promise<T>): Promise<T> | null {
    if (this.#running < MAX_RUNNING) return this.#start(work);
    if (this.#queue.length >= MAX_QUEUED || this.#queuedBytes + bytes > MAX_QUEUED_BYTES) return null;
    return new Promise<T>((resolve, reject) => {
      this.#queuedBytes += bytes;
      this.#queue.push({ bytes, start: () => { this.#queuedBytes -= bytes; this.#start(work).then(resolve, reject); } });
    });
  }

  #start<T>(work: () => Promise<T>): Promise<T> {
    this.#running++;
    let result: Promise<T>;
    try {
      result = work();
    } catch (err) {
      result = Promise.reject(err);
    }
    return result.finally(() => {
      this.#running--;
      if (!this.#closed) this.#queue.shift()?.start();
    });
  }
}

const tables = new WeakMap<object, CryptoTable>();

/** The table of the worker instance `owner`, created on first use. */
export function cryptoTableFor(owner: object): CryptoTable {
  let table = tables.get(owner);
  if (table === undefined) {
    table = new CryptoTable();
    tables.set(owner, table);
  }
  return table;
}

/** Frees every key and hash state of a worker instance that can serve no more requests. */
export function dropCryptoTable(owner: object): void {
  // The closed table stays mapped, so a late completion cannot create a fresh one.
  cryptoTableFor(owner).close();
}
