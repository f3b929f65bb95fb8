// The host half of an isolate's CompressionStreams and DecompressionStreams: zlib state in native
// memory the isolate's heap limit does not see, so each worker instance holds a capped number of
// them, and they are freed when the stream ends, errors, is released by the isolate, or when the
// instance can serve no more requests.
import { ZlibEngine, type CompressionFormat } from './zlib-engine.js';

/**
 * A deflate state costs about 256 KB of native memory, an inflate state about 40 KB. A worker with
 * this many streams open at once is far beyond what a request needs, and still costs at most ~17 MB.
 */
export const MAX_COMPRESSION_STREAMS = 64;

/** What the table needs to know of its owner: whether it can still run code. */
export interface CompressionOwner { readonly dead: boolean }

export class CompressionTable {
  readonly #engines = new Map<number, ZlibEngine>();
  // Handles are never reused, so a stale one can never reach a newer stream.
  #next = 1;
  #closed = false;

  get size(): number { return this.#engines.size; }

  /** Opens a stream and returns its handle, or null when the worker already holds too many. */
  open(format: CompressionFormat, decompress: boolean): number | null {
    if (this.#closed || this.#engines.size >= MAX_COMPRESSION_STREAMS) return null;
    const handle = this.#next++;
    this.#engines.set(handle, new ZlibEngine(format, decompress));
    return handle;
  }

  get(handle: unknown): ZlibEngine | null {
    return typeof handle === 'number' ? this.#engines.get(handle) ?? null : null;
  }

  release(handle: unknown): void {
    if (typeof handle !== 'number') return;
    this.#engines.get(handle)?.close();
    this.#engines.delete(handle);
  }

  /** The owner is gone: every stream goes with it, and none can be opened again. */
  close(): void {
    this.#closed = true;
    for (const engine of this.#engines.values()) engine.close();
    this.#engines.clear();
  }
}

const tables = new WeakMap<CompressionOwner, CompressionTable>();
// Tables whose owner may die; swept as new tables and streams appear, so the native memory of an
// instance that died with streams open goes at the next compression work of any worker, without
// waiting for the collector to find the instance.
const watched = new Map<CompressionTable, WeakRef<CompressionOwner>>();

function sweepDead(): void {
  for (const [table, ref] of watched) {
    const owner = ref.deref();
    if (owner === undefined || owner.dead) {
      table.close();
      watched.delete(table);
    }
  }
}

/** The table of the worker instance `owner`, created on first use. */
export function compressionTableFor(owner: CompressionOwner): CompressionTable {
  let table = tables.get(owner);
  if (table === undefined) {
    sweepDead();
    table = new CompressionTable();
    tables.set(owner, table);
    watched.set(table, new WeakRef(owner));
  } else if (owner.dead) {
    table.close();
    watched.delete(table);
  }
  return table;
}

/** Frees every stream of an instance that can serve no more requests. */
export function dropCompressionTable(owner: CompressionOwner): void {
  const table = tables.get(owner);
  if (table === undefined) return;
  table.close();
  watched.delete(table);
}

/** Closes the tables of instances that have died since the last look; for callers that know one just did. */
export function sweepCompressionTables(): void { sweepDead(); }
