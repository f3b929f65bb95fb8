// Where the Cache API keeps its entries. Backends may answer synchronously (SQLite) or asynchronously
// (network stores), so callers accept both.
export type MaybePromise<T> = T | Promise<T>;

export interface CacheEntry {
  status: number;
  statusText: string;
  /** Header fields in the boundary encoding ("name:value" lines), already checked by the binding. */
  headers: string;
  body: Uint8Array;
  /** Milliseconds since the epoch. */
  storedAt: number;
  /** Milliseconds since the epoch; the entry is gone once `expiresAt <= now`. */
  expiresAt: number;
  /** Seconds of age the response had when it was stored. */
  initialAge: number;
}

/**
 * Entries are addressed by (partition, cache, url): the partition is the tenant (or, under islet dev,
 * the worker), the cache is the name the binding derives from caches.default / caches.open(name).
 * A partition holds at most `maxBytes` (the store's bound): a put that would go beyond it evicts the
 * partition's expired entries, then its least recently used ones.
 */
export interface CacheStore {
  /** The entry, or null when there is none or it has expired. A hit counts as a use for eviction. */
  get(partition: string, cache: string, url: string, nowMs: number): MaybePromise<CacheEntry | null>;
  /** Stores or replaces the entry; an entry larger than the whole bound is not stored. */
  put(partition: string, cache: string, url: string, entry: CacheEntry): MaybePromise<void>;
  /** Whether an unexpired entry was there; it is gone either way. */
  delete(partition: string, cache: string, url: string, nowMs: number): MaybePromise<boolean>;
  /** Bytes the partition's entries take, as counted against the bound. */
  usage(partition: string): MaybePromise<number>;
  close(): void;
}

/** What an entry counts against its partition's bound: its body, header block and key. */
export function entrySize(url: string, entry: CacheEntry): number {
  return entry.body.byteLength + Buffer.byteLength(entry.headers, 'utf8') + Buffer.byteLength(url, 'utf8') + Buffer.byteLength(entry.statusText, 'utf8');
}
