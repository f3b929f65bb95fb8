import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { openWalDatabase } from '../open-database.js';
import { entrySize, type CacheEntry, type CacheStore } from './cache-store.js';

export interface SqliteCacheStoreOptions {
  /** Bytes a partition (a tenant) may hold before its least recently used entries are evicted. */
  maxBytesPerPartition?: number;
  /**
   * A hit records its time for LRU eviction only when the recorded one is at least this old, so a hot
   * entry costs one write a minute rather than one per hit; recency is known to within this interval.
   */
  touchIntervalMs?: number;
}

export const DEFAULT_CACHE_BYTES_PER_PARTITION = 512 * 1024 * 1024;
const DEFAULT_TOUCH_INTERVAL_MS = 60_000;
// Expired rows of all partitions are removed at most this often, at most this many at a time, on puts.
const SWEEP_INTERVAL_MS = 60_000;
const SWEEP_BATCH = 500;
const EVICT_BATCH = 64;

// A rowid table, since bodies reach 32 MiB (SQLite advises WITHOUT ROWID only for small rows). The
// usage table is kept by triggers, so every process sharing the file (islet serve's engines) sees the
// same totals without summing a partition's rows on every put.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS cache_entries (
  partition TEXT NOT NULL,
  cache TEXT NOT NULL,
  url TEXT NOT NULL,
  status INTEGER NOT NULL,
  status_text TEXT NOT NULL,
  headers TEXT NOT NULL,
  body BLOB NOT NULL,
  size INTEGER NOT NULL,
  stored_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  initial_age INTEGER NOT NULL,
  last_used INTEGER NOT NULL,
  PRIMARY KEY (partition, cache, url)
);
CREATE INDEX IF NOT EXISTS cache_entries_lru ON cache_entries (partition, last_used);
CREATE INDEX IF NOT EXISTS cache_entries_expiry ON cache_entries (expires_at);
CREATE TABLE IF NOT EXISTS cache_usage (partition TEXT PRIMARY KEY, bytes INTEGER NOT NULL) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS cache_usage_insert AFTER INSERT ON cache_entries BEGIN
  INSERT OR IGNORE INTO cache_usage (partition, bytes) VALUES (new.partition, 0);
  UPDATE cache_usage SET bytes = bytes + new.size WHERE partition = new.partition;
END;
CREATE TRIGGER IF NOT EXISTS cache_usage_delete AFTER DELETE ON cache_entries BEGIN
  UPDATE cache_usage SET bytes = bytes - old.size WHERE partition = old.partition;
END;
CREATE TRIGGER IF NOT EXISTS cache_usage_update AFTER UPDATE OF size ON cache_entries BEGIN
  UPDATE cache_usage SET bytes = bytes - old.size + new.size WHERE partition = new.partition;
END;
`;

/**
 * The Cache API's entries in `<dataDir>/cache.sqlite`. WAL with a busy timeout, because islet serve's
 * engine processes share the file; synchronous=NORMAL, because a cache may lose its last writes on
 * power loss (a miss is always a valid answer) and need not pay an fsync per put.
 */
export class SqliteCacheStore implements CacheStore {
  readonly path: string;
  readonly #db: DatabaseSync;
  readonly #maxBytes: number;
  readonly #touchIntervalMs: number;
  readonly #get: StatementSync;
  readonly #touch: StatementSync;
  readonly #upsert: StatementSync;
  readonly #delete: StatementSync;
  readonly #deleteIfExpired: StatementSync;
  readonly #usage: StatementSync;
  readonly #expireIn: StatementSync;
  readonly #oldest: StatementSync;
  readonly #deleteRow: StatementSync;
  readonly #sweep: StatementSync;
  #lastSweep = Number.NEGATIVE_INFINITY;

  constructor(dataDir: string, options: SqliteCacheStoreOptions = {}) {
    mkdirSync(dataDir, { recursive: true });
    this.path = join(dataDir, 'cache.sqlite');
    this.#db = openWalDatabase(this.path);
    this.#db.exec('PRAGMA synchronous = NORMAL');
    this.#db.exec(SCHEMA);
    this.#maxBytes = options.maxBytesPerPartition ?? DEFAULT_CACHE_BYTES_PER_PARTITION;
    this.#touchIntervalMs = options.touchIntervalMs ?? DEFAULT_TOUCH_INTERVAL_MS;

    this.#get = this.#db.prepare(
      `SELECT status, status_text, headers, body, stored_at, expires_at, initial_age, last_used
       FROM cache_entries WHERE partition = ? AND cache = ? AND url = ?`,
    );
    this.#touch = this.#db.prepare('UPDATE cache_entries SET last_used = ? WHERE partition = ? AND cache = ? AND url = ?');
    this.#upsert = this.#db.prepare(
      `INSERT INTO cache_entries (partition, cache, url, status, status_text, headers, body, size, stored_at, expires_at, initial_age, last_used)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (partition, cache, url) DO UPDATE SET
         status = excluded.status, status_text = excluded.status_text, headers = excluded.headers, body = excluded.body,
         size = excluded.size, stored_at = excluded.stored_at, expires_at = excluded.expires_at,
         initial_age = excluded.initial_age, last_used = excluded.last_used`,
    );
    this.#delete = this.#db.prepare('DELETE FROM cache_entries WHERE partition = ? AND cache = ? AND url = ? RETURNING expires_at');
    // The expiry condition keeps a purge from removing an entry rewritten since it was read.
    this.#deleteIfExpired = this.#db.prepare('DELETE FROM cache_entries WHERE partition = ? AND cache = ? AND url = ? AND expires_at <= ?');
    this.#usage = this.#db.prepare('SELECT bytes FROM cache_usage WHERE partition = ?');
    this.#expireIn = this.#db.prepare('DELETE FROM cache_entries WHERE partition = ? AND expires_at <= ?');
    this.#oldest = this.#db.prepare(
      `SELECT rowid, size FROM cache_entries WHERE partition = ? AND NOT (cache = ? AND url = ?)
       ORDER BY last_used, rowid LIMIT ${EVICT_BATCH}`,
    );
    this.#deleteRow = this.#db.prepare('DELETE FROM cache_entries WHERE rowid = ?');
    this.#sweep = this.#db.prepare(
      `DELETE FROM cache_entries WHERE rowid IN (SELECT rowid FROM cache_entries WHERE expires_at <= ? LIMIT ${SWEEP_BATCH})`,
    );
  }

  get(partition: string, cache: string, url: string, nowMs: number): CacheEntry | null {
    const row = this.#get.get(partition, cache, url);
    if (row === undefined) return null;
    const expiresAt = row['expires_at'] as number;
    if (expiresAt <= nowMs) {
      this.#bestEffort(() => this.#deleteIfExpired.run(partition, cache, url, nowMs));
      return null;
    }
    if (nowMs - (row['last_used'] as number) >= this.#touchIntervalMs) {
      this.#bestEffort(() => this.#touch.run(nowMs, partition, cache, url));
    }
    return {
      status: row['status'] as number,
      statusText: row['status_text'] as string,
      headers: row['headers'] as string,
      body: row['body'] as Uint8Array,
      storedAt: row['stored_at'] as number,
      expiresAt,
      initialAge: row['initial_age'] as number,
    };
  }

  put(partition: string, cache: string, url: string, entry: CacheEntry): void {
    const size = entrySize(url, entry);
    if (size > this.#maxBytes) return;
    const now = entry.storedAt;
    // IMMEDIATE takes the write lock up front, so two engines evicting at once wait for each other
    // (busy timeout) instead of failing when a read transaction tries to upgrade.
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      if (now - this.#lastSweep >= SWEEP_INTERVAL_MS) {
        this.#lastSweep = now;
        this.#sweep.run(now);
      }
      this.#upsert.run(partition, cache, url, entry.status, entry.statusText, entry.headers, entry.body, size,
        entry.storedAt, entry.expiresAt, entry.initialAge, now);
      this.#evict(partition, cache, url, now);
      this.#db.exec('COMMIT');
    } catch (err) {
      if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
      throw err;
    }
  }

  delete(partition: string, cache: string, url: string, nowMs: number): boolean {
    const row = this.#delete.get(partition, cache, url);
    return row !== undefined && (row['expires_at'] as number) > nowMs;
  }

  usage(partition: string): number {
    const row = this.#usage.get(partition);
    return row === undefined ? 0 : (row['bytes'] as number);
  }

  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }

  /** Brings the partition back under its bound: expired entries first, then the least recently used. */
  #evict(partition: string, cache: string, url: string, now: number): void {
    let usage = this.usage(partition);
    if (usage <= this.#maxBytes) return;
    this.#expireIn.run(partition, now);
    usage = this.usage(partition);
    while (usage > this.#maxBytes) {
      const victims = this.#oldest.all(partition, cache, url);
      if (victims.length === 0) return;
      for (const victim of victims) {
        this.#deleteRow.run(victim['rowid'] as number);
        usage -= victim['size'] as number;
        if (usage <= this.#maxBytes) return;
      }
    }
  }

  /** Housekeeping writes on the read path may meet another engine's lock; a read must not fail for them. */
  #bestEffort(write: () => void): void {
    try {
      write();
    } catch {
      // The row stays as it was: an expired row is still never served, a stale recency costs little.
    }
  }
}
