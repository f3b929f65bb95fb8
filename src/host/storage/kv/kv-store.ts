// Backends may answer synchronously (SQLite) or asynchronously (network stores),
// so callers must accept both and never assume a promise.
export type MaybePromise<T> = T | Promise<T>;

export interface KvEntry {
  value: Uint8Array;
  /** Unix seconds; the entry is invisible once `expiration <= now`. */
  expiration: number | null;
  /** JSON text, validated by the binding before it reaches a store. */
  metadata: string | null;
}

export interface KvListKey {
  name: string;
  expiration?: number;
  metadata?: unknown;
}

/** `cursor` is present exactly when `list_complete` is false, as in Workers KV. */
export interface KvListResult {
  keys: KvListKey[];
  list_complete: boolean;
  cursor?: string;
}

export interface KvListOptions {
  prefix: string;
  /** 1..1000, already validated by the binding. */
  limit: number;
  cursor: string | null;
}

/** One write of a bulk put: a key already checked against KV's limits, and its entry. */
export interface KvWrite {
  key: string;
  entry: KvEntry;
}

/**
 * Every backend orders keys by their UTF-8 bytes (Workers KV's documented list
 * order) and treats entries with `expiration <= nowSeconds` as absent.
 */
export interface KvStore {
  get(namespace: string, key: string, nowSeconds: number): MaybePromise<KvEntry | null>;
  put(namespace: string, key: string, entry: KvEntry): MaybePromise<void>;
  delete(namespace: string, key: string): MaybePromise<void>;
  /**
   * Optional: writes all of `writes` or none of them (one transaction), in order, so a later write of
   * the same key wins. Backends without it get one put per key from the binding.
   */
  putMany?(namespace: string, writes: readonly KvWrite[]): MaybePromise<void>;
  /** Optional: deletes all of `keys` or none of them (one transaction). */
  deleteMany?(namespace: string, keys: readonly string[]): MaybePromise<void>;
  list(namespace: string, options: KvListOptions, nowSeconds: number): MaybePromise<KvListResult>;
  close(): void;
}

// The cursor format is shared by all backends: since every backend orders by
// UTF-8 bytes, "resume after this key" means the same thing everywhere, which
// lets the binding reject a malformed cursor before any backend is asked.
// A version byte makes arbitrary strings unlikely to decode as a cursor.
const CURSOR_VERSION = 1;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** The cursor that resumes a listing right after `lastKey`. */
export function encodeKvCursor(lastKey: string): string {
  const keyBytes = Buffer.from(lastKey, 'utf8');
  const raw = Buffer.allocUnsafe(keyBytes.length + 1);
  raw[0] = CURSOR_VERSION;
  keyBytes.copy(raw, 1);
  return raw.toString('base64url');
}

/** The key a cursor resumes after, or null when the cursor is not one of ours. */
export function decodeKvCursor(cursor: string): string | null {
  if (cursor === '' || !/^[A-Za-z0-9_-]+$/.test(cursor)) return null;
  const raw = Buffer.from(cursor, 'base64url');
  // Non-canonical encodings would give one key many cursors; refuse them.
  if (raw.toString('base64url') !== cursor) return null;
  if (raw.length < 2 || raw[0] !== CURSOR_VERSION) return null;
  try {
    return strictUtf8.decode(raw.subarray(1));
  } catch {
    return null;
  }
}
