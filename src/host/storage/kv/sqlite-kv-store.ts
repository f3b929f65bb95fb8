import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { openWalDatabase } from '../open-database.js';
import {
  decodeKvCursor,
  encodeKvCursor,
  type KvEntry,
  type KvListKey,
  type KvListOptions,
  type KvListResult,
  type KvStore,
  type KvWrite,
} from './kv-store.js';

// Expired rows are removed lazily; a sweep runs at most this often (in the
// callers' clock) and deletes at most this many rows, so no single request
// pays for a large backlog.
const SWEEP_INTERVAL_SECONDS = 60;
const SWEEP_BATCH = 500;

// Keys are stored as BLOBs of their UTF-8 bytes: SQLite compares BLOBs with
// memcmp, which is exactly the byte order Workers KV documents for list().
// TEXT would sort by the collation, and JS strings would sort by UTF-16 units.
//
// A rowid table rather than WITHOUT ROWID, because values reach 25 MiB and
// SQLite advises against WITHOUT ROWID for rows far larger than a page.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS kv_entries (
  namespace TEXT NOT NULL,
  key BLOB NOT NULL,
  value BLOB NOT NULL,
  expiration INTEGER,
  metadata TEXT,
  PRIMARY KEY (namespace, key)
);
CREATE INDEX IF NOT EXISTS kv_entries_expiration
  ON kv_entries (expiration) WHERE expiration IS NOT NULL;
`;

const LIVE = '(expiration IS NULL OR expiration > :now)';
const LIST_COLUMNS = 'SELECT key, expiration, metadata FROM kv_entries';

export class SqliteKvStore implements KvStore {
  readonly path: string;
  readonly #db: DatabaseSync;
  readonly #get: StatementSync;
  readonly #put: StatementSync;
  readonly #delete: StatementSync;
  readonly #deleteIfExpired: StatementSync;
  readonly #listBounded: StatementSync;
  readonly #listUnbounded: StatementSync;
  readonly #sweep: StatementSync;
  #lastSweep = Number.NEGATIVE_INFINITY;

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true });
    this.path = join(dataDir, 'kv.sqlite');
    this.#db = openWalDatabase(this.path);
    // WAL + synchronous=FULL fsyncs the WAL on every commit, so a put that has
    // returned survives power loss, not only a killed process. NORMAL would
    // survive kill -9 (the WAL is already in the page cache) but could lose the
    // last commits on power loss, which breaks "acknowledged means durable".
    this.#db.exec('PRAGMA synchronous = FULL');
    this.#db.exec(SCHEMA);

    this.#get = this.#db.prepare('SELECT value, expiration, metadata FROM kv_entries WHERE namespace = ? AND key = ?');
    this.#put = this.#db.prepare(
      `INSERT INTO kv_entries (namespace, key, value, expiration, metadata)
       VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (namespace, key) DO UPDATE SET
         value = excluded.value, expiration = excluded.expiration, metadata = excluded.metadata`,
    );
    this.#delete = this.#db.prepare('DELETE FROM kv_entries WHERE namespace = ? AND key = ?');
    // The expiration condition keeps a purge from removing a value that was
    // rewritten (with a later or no expiration) since it was read.
    this.#deleteIfExpired = this.#db.prepare(
      `DELETE FROM kv_entries WHERE namespace = ? AND key = ?
         AND expiration IS NOT NULL AND expiration <= ?`,
    );
    // A single inclusive lower bound keeps every page an index range scan that
    // starts where the previous page ended, instead of rescanning the prefix.
    this.#listBounded = this.#db.prepare(
      `${LIST_COLUMNS} WHERE namespace = :ns AND key >= :low AND key < :high AND ${LIVE}
       ORDER BY key LIMIT :limit`,
    );
    this.#listUnbounded = this.#db.prepare(
      `${LIST_COLUMNS} WHERE namespace = :ns AND key >= :low AND ${LIVE}
       ORDER BY key LIMIT :limit`,
    );
    this.#sweep = this.#db.prepare(
      `DELETE FROM kv_entries WHERE rowid IN (
         SELECT rowid FROM kv_entries
         WHERE expiration IS NOT NULL AND expiration <= ? LIMIT ${SWEEP_BATCH})`,
    );
  }

  get(namespace: string, key: string, nowSeconds: number): KvEntry | null {
    this.#maybeSweep(nowSeconds);
    const keyBytes = utf8(key);
    const row = this.#get.get(namespace, keyBytes);
    if (row === undefined) return null;
    const expiration = row['expiration'] as number | null;
    if (expiration !== null && expiration <= nowSeconds) {
      this.#deleteIfExpired.run(namespace, keyBytes, nowSeconds);
      return null;
    }
    return {
      value: row['value'] as Uint8Array,
      expiration,
      metadata: row['metadata'] as string | null,
    };
  }

  put(namespace: string, key: string, entry: KvEntry): void {
    this.#put.run(namespace, utf8(key), entry.value, entry.expiration, entry.metadata);
  }

  delete(namespace: string, key: string): void {
    this.#delete.run(namespace, utf8(key));
  }

  // One transaction per call: with synchronous=FULL every commit is an fsync, so a batch costs one
  // fsync instead of one per key, and a failure leaves none of the batch behind.
  putMany(namespace: string, writes: readonly KvWrite[]): void {
    this.#inTransaction(() => {
      for (const { key, entry } of writes) this.#put.run(namespace, utf8(key), entry.value, entry.expiration, entry.metadata);
    });
  }

  deleteMany(namespace: string, keys: readonly string[]): void {
    this.#inTransaction(() => {
      for (const key of keys) this.#delete.run(namespace, utf8(key));
    });
  }

  list(namespace: string, options: KvListOptions, nowSeconds: number): KvListResult {
    this.#maybeSweep(nowSeconds);
    const prefix = utf8(options.prefix);
    let low: Uint8Array = prefix;
    if (options.cursor !== null) {
      const after = decodeKvCursor(options.cursor);
      if (after === null) throw new Error('invalid KV list cursor');
      // K followed by a zero byte is the smallest byte string greater than K,
      // so "after K" becomes an inclusive bound.
      const resume = Buffer.concat([utf8(after), ZERO_BYTE]);
      if (Buffer.compare(resume, prefix) > 0) low = resume;
    }
    const high = prefixUpperBound(prefix);
    const params = { ns: namespace, low, now: nowSeconds, limit: options.limit + 1 };
    const rows = high === null ? this.#listUnbounded.all(params) : this.#listBounded.all({ ...params, high });

    const complete = rows.length <= options.limit;
    const keys: KvListKey[] = [];
    for (const row of complete ? rows : rows.slice(0, options.limit)) {
      const listed: KvListKey = { name: Buffer.from(row['key'] as Uint8Array).toString('utf8') };
      const expiration = row['expiration'] as number | null;
      if (expiration !== null) listed.expiration = expiration;
      const metadata = row['metadata'] as string | null;
      if (metadata !== null) listed.metadata = JSON.parse(metadata);
      keys.push(listed);
    }
    const last = keys.at(-1);
    if (complete || last === undefined) return { keys, list_complete: true };
    return { keys, list_complete: false, cursor: encodeKvCursor(last.name) };
  }

  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }

  #inTransaction(work: () => void): void {
    // IMMEDIATE takes the write lock up front, so a batch racing an engine's writes waits for it
    // (busy timeout) instead of failing when its read transaction tries to upgrade.
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      work();
      this.#db.exec('COMMIT');
    } catch (err) {
      if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
      throw err;
    }
  }

  #maybeSweep(nowSeconds: number): void {
    if (nowSeconds - this.#lastSweep < SWEEP_INTERVAL_SECONDS) return;
    this.#lastSweep = nowSeconds;
    this.#sweep.run(nowSeconds);
  }
}

const ZERO_BYTE = new Uint8Array(1);

function utf8(text: string): Buffer {
  return Buffer.from(text, 'utf8');
}

/** The smallest byte string above every string starting with `prefix`, or null if none exists. */
function prefixUpperBound(prefix: Uint8Array): Uint8Array | null {
  for (let i = prefix.length - 1; i >= 0; i--) {
    const byte = prefix[i]!;
    if (byte !== 0xff) {
      const bound = Uint8Array.from(prefix.subarray(0, i + 1));
      bound[i] = byte + 1;
      return bound;
    }
  }
  return null;
}
