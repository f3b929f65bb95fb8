// One SQLite database per Durable Object: <data>/durable-objects/<scope>/<worker>/<class>/<id>.sqlite.
// The key-value API lives in `_cf_KV` and the alarm in `_cf_METADATA`, tables tenant SQL cannot reach
// (sql-authorizer.ts); the tenant's own tables sit beside them, as on Cloudflare's SQLite backend.
//
// Writes open one transaction that commit() ends: everything an object writes between two commits
// (one isolate call, often several events delivered back to back, or every event that ran while the
// previous commit was reaching the disk) becomes durable in one commit and one fsync, which is
// Cloudflare's write coalescing. transaction() nests savepoints inside it.
//
// Durability: SQLite runs with synchronous=NORMAL, so COMMIT only appends to the WAL (the process can
// crash after it and nothing is lost), and sync() then fdatasyncs the WAL on libuv's thread pool. That
// is exactly the fsync synchronous=FULL would make inside COMMIT, on this thread, blocking every other
// object and request of the process meanwhile. SQLite keeps its own syncs around checkpoints.
import { close, closeSync, fdatasync, fdatasyncSync, fsync, fsyncSync, mkdirSync, open, openSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DatabaseSync, constants, type StatementSync } from 'node:sqlite';
import { openWalDatabase } from '../open-database.js';
import { SizeBound, type Growth } from './size-bound.js';
import { refusal } from './sql-authorizer.js';
import { eachStatement } from './sql-statements.js';
import {
  StorageError, WritesLostError, type ObjectAddress, type ObjectStorage, type ObjectStorageProvider, type SqlResult, type SqlValue,
  type StorageListOptions, type StoredValue,
} from './object-storage.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS _cf_KV (key BLOB PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS _cf_METADATA (key TEXT PRIMARY KEY, value) WITHOUT ROWID;
`;

/**
 * Cloudflare's SQL limits for SQLite-backed objects: 2 MB strings, BLOBs and rows, 100 KB statements,
 * 100 columns, 100 bound parameters, 32 function arguments, 50-byte LIKE patterns.
 * @see https://developers.cloudflare.com/durable-objects/platform/limits/
 */
const SQL_LIMITS = { length: 2_000_000, sqlLength: 100_000, column: 100, variableNumber: 100, functionArg: 32, likePatternLength: 50 };

/**
 * Storage per object unless the server says otherwise. Cloudflare allows 10 GB per SQLite-backed
 * object; one box shares its disk among every object of every tenant, so the default is a tenth of it.
 * @see https://developers.cloudflare.com/durable-objects/platform/limits/
 */
export const DEFAULT_OBJECT_STORAGE_MB = 1024;

export interface ObjectStorageOptions {
  /** Bytes the object's database may hold (DEFAULT_OBJECT_STORAGE_MB when absent). */
  maxBytes?: number;
}

const utf8 = (text: string): Buffer => Buffer.from(text, 'utf8');
const fromKey = (key: unknown): string => Buffer.from(key as Uint8Array).toString('utf8');

/** The smallest key greater than every key starting with `prefix`, or null when there is none. */
function prefixEnd(prefix: Buffer): Buffer | null {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i]!++;
      return end.subarray(0, i + 1);
    }
  }
  return null;
}

/** Deletes: they take no new pages, so they work at the limit too. */
const NOTHING: Growth = { bytes: 0, rows: 0 };

/** Tenant bindings as SQLite takes them: booleans as 0/1, byte views as BLOBs. */
function toSqlite(value: SqlValue | boolean): null | number | bigint | string | Uint8Array {
  if (typeof value === 'boolean') return value ? 1 : 0;
  return value;
}

export class SqliteObjectStorage implements ObjectStorage {
  readonly path: string;
  readonly #db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();
  /** The write transaction commit() ends is open. */
  #writing = false;
  #depth = 0;
  /** Commits made, and how many of the first of them are known to be on disk. */
  #commits = 0;
  #synced = 0;
  /** The WAL, opened on the first sync: fdatasync on it is what makes a commit survive a power loss. */
  #wal: number | null = null;
  /** The WAL's directory entry is on disk (SQLite's FULL mode syncs it with the first commit after opening too). */
  #directorySynced = false;
  #syncsInFlight = 0;
  #closed = false;
  /** Set while tenant SQL compiles: the authorizer then applies. */
  #tenant = false;
  #refused: string | null = null;
  readonly #bound: SizeBound;

  constructor(path: string, options: ObjectStorageOptions = {}) {
    this.path = path;
    mkdirSync(dirname(path), { recursive: true });
    this.#db = openWalDatabase(path, { limits: SQL_LIMITS } as NonNullable<ConstructorParameters<typeof DatabaseSync>[1]>);
    // NORMAL plus sync() below: a write the output gate let through still survives a power loss (see the top).
    this.#db.exec('PRAGMA synchronous = NORMAL');
    this.#db.exec('PRAGMA foreign_keys = ON');
    this.#db.exec(SCHEMA);
    this.#bound = new SizeBound(this.#db, options.maxBytes ?? DEFAULT_OBJECT_STORAGE_MB * 1024 * 1024);
    this.#db.setAuthorizer((action, arg1, arg2) => {
      if (!this.#tenant) return constants.SQLITE_OK;
      const why = refusal(action, arg1, arg2);
      if (why === null) return constants.SQLITE_OK;
      this.#refused ??= why;
      return constants.SQLITE_DENY;
    });
  }

  #prepare(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  #write(): void {
    if (this.#writing) return;
    this.#db.exec('BEGIN IMMEDIATE');
    this.#writing = true;
  }

  /** A write under the size bound; when SQLite dropped the whole batch, nothing is open any more. */
  #bounded<T>(growth: Growth | null, write: () => T): T {
    this.#write();
    try {
      return this.#bound.write(growth, write);
    } catch (err) {
      if (err instanceof WritesLostError) {
        this.#writing = false;
        this.#depth = 0;
      }
      throw err;
    }
  }

  get(keys: readonly string[]): Map<string, StoredValue> {
    const found = new Map<string, StoredValue>();
    const select = this.#prepare('SELECT value FROM _cf_KV WHERE key = ?');
    const sorted = [...new Set(keys)].sort((a, b) => Buffer.compare(utf8(a), utf8(b)));
    for (const key of sorted) {
      const row = select.get(utf8(key)) as { value: Uint8Array } | undefined;
      if (row !== undefined) found.set(key, row.value);
    }
    return found;
  }

  put(entries: readonly (readonly [string, StoredValue])[]): void {
    const rows = entries.map(([key, value]) => [utf8(key), value] as const);
    let bytes = 0;
    for (const [key, value] of rows) bytes += key.byteLength + value.byteLength;
    this.#bounded({ bytes, rows: rows.length }, () => {
      const upsert = this.#prepare('INSERT INTO _cf_KV (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
      for (const [key, value] of rows) upsert.run(key, value);
    });
  }

  delete(keys: readonly string[]): number {
    return this.#bounded(NOTHING, () => {
      const remove = this.#prepare('DELETE FROM _cf_KV WHERE key = ?');
      let count = 0;
      for (const key of new Set(keys)) count += Number(remove.run(utf8(key)).changes);
      return count;
    });
  }

  list(options: StorageListOptions): [string, StoredValue][] {
    const where: string[] = [];
    const params: (Buffer | number)[] = [];
    if (options.start !== undefined) { where.push('key >= ?'); params.push(utf8(options.start)); }
    if (options.startAfter !== undefined) { where.push('key > ?'); params.push(utf8(options.startAfter)); }
    if (options.end !== undefined) { where.push('key < ?'); params.push(utf8(options.end)); }
    if (options.prefix !== undefined && options.prefix !== '') {
      const prefix = utf8(options.prefix);
      where.push('key >= ?');
      params.push(prefix);
      const end = prefixEnd(prefix);
      if (end !== null) { where.push('key < ?'); params.push(end); }
    }
    let sql = `SELECT key, value FROM _cf_KV${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY key ${options.reverse === true ? 'DESC' : 'ASC'}`;
    if (options.limit !== undefined) { sql += ' LIMIT ?'; params.push(options.limit); }
    const rows = this.#prepare(sql).all(...params) as { key: Uint8Array; value: Uint8Array }[];
    return rows.map((row) => [fromKey(row.key), row.value]);
  }

  deleteAll(): void {
    this.#bounded(NOTHING, () => this.#dropEverything());
  }

  #dropEverything(): void {
    this.#db.exec('DELETE FROM _cf_KV');
    const objects = this.#db.prepare(
      "SELECT type, name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
    ).all() as { type: string; name: string }[];
    // Foreign keys between the tenant's tables must not stop them going all at once.
    this.#db.exec('PRAGMA defer_foreign_keys = ON');
    for (const { type, name } of objects) this.#db.exec(`DROP ${type === 'view' ? 'VIEW' : 'TABLE'} IF EXISTS "${name.replaceAll('"', '""')}"`);
  }

  getAlarm(): number | null {
    const row = this.#prepare("SELECT value FROM _cf_METADATA WHERE key = 'alarm'").get() as { value: number | null } | undefined;
    return row === undefined || row.value === null ? null : Number(row.value);
  }

  setAlarm(time: number | null): void {
    this.#bounded({ bytes: 32, rows: 1 }, () => {
      if (time === null) this.#prepare("DELETE FROM _cf_METADATA WHERE key = 'alarm'").run();
      else this.#prepare("INSERT INTO _cf_METADATA (key, value) VALUES ('alarm', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(time);
    });
  }

  exec(query: string, bindings: readonly SqlValue[]): SqlResult {
    return this.#bounded(null, () => this.#run(query, bindings));
  }

  #run(query: string, bindings: readonly SqlValue[]): SqlResult {
    let result: SqlResult = { columnNames: [], rows: [], rowsRead: 0, rowsWritten: 0 };
    let read = 0;
    let written = 0;
    const changes = this.#prepare('SELECT total_changes() AS n');
    const count = eachStatement(query, (text) => this.#compile(text), (statement, last) => {
      const before = Number((changes.get() as { n: number }).n);
      statement.setReturnArrays(true);
      // Bindings belong to the last statement: the one whose rows the cursor returns.
      const rows = (last ? statement.all(...bindings.map(toSqlite)) : statement.all()) as unknown as SqlValue[][];
      written += Number((changes.get() as { n: number }).n) - before;
      read += rows.length;
      result = { columnNames: statement.columns().map((c) => c.name), rows, rowsRead: read, rowsWritten: written };
    });
    if (count === 0) throw new StorageError('Error', 'SQL query contains no statements');
    return result;
  }

  /** Compiles one tenant statement under the authorizer; a refusal says why, as Cloudflare does. */
  #compile(text: string): StatementSync {
    this.#tenant = true;
    this.#refused = null;
    try {
      return this.#db.prepare(text);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (this.#refused !== null) throw new StorageError('Error', `${message.includes('prohibited') ? message : this.#refused}: SQLITE_AUTH`);
      throw new StorageError('Error', message);
    } finally {
      this.#tenant = false;
    }
  }

  databaseSize(): number {
    const pages = this.#prepare('PRAGMA page_count').get() as { page_count: number };
    const size = this.#prepare('PRAGMA page_size').get() as { page_size: number };
    return Number(pages.page_count) * Number(size.page_size);
  }

  get transactionDepth(): number { return this.#depth; }
  get dirty(): boolean { return this.#writing; }
  get unsynced(): boolean { return this.#synced < this.#commits; }

  beginTransaction(): void {
    this.#write();
    this.#db.exec(`SAVEPOINT islet_txn_${this.#depth + 1}`);
    this.#depth++;
  }

  commitTransaction(): void {
    if (this.#depth === 0) return;
    this.#db.exec(`RELEASE islet_txn_${this.#depth}`);
    this.#depth--;
  }

  rollbackTransaction(): void {
    if (this.#depth === 0) return;
    this.#db.exec(`ROLLBACK TO islet_txn_${this.#depth}`);
    this.#db.exec(`RELEASE islet_txn_${this.#depth}`);
    this.#depth--;
  }

  commit(): void {
    if (!this.#writing || this.#depth > 0) return;
    this.#writing = false;
    try {
      this.#db.exec('COMMIT');
    } catch (err) {
      // A commit that fails (disk full) leaves nothing half-written: it is rolled back whole.
      if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
      throw err;
    }
    this.#commits++;
  }

  sync(): Promise<void> {
    const target = this.#commits;
    if (this.#synced >= target) return Promise.resolve();
    let wal: number;
    try {
      wal = this.#walFile();
    } catch (err) {
      return Promise.reject(err as Error);
    }
    const directory = this.#directorySynced ? null : dirname(this.path);
    this.#syncsInFlight++;
    return new Promise<void>((resolve, reject) => {
      const done = (err: Error | null) => {
        this.#syncsInFlight--;
        if (err === null) {
          if (directory !== null) this.#directorySynced = true;
          if (target > this.#synced) this.#synced = target;
        }
        if (this.#closed && this.#syncsInFlight === 0) this.#closeWal();
        if (err === null) resolve();
        else reject(err);
      };
      fdatasync(wal, (err) => {
        if (err !== null || directory === null) { done(err); return; }
        open(directory, 'r', (openErr, fd) => {
          if (openErr !== null) { done(openErr); return; }
          fsync(fd, (syncErr) => close(fd, () => done(syncErr)));
        });
      });
    });
  }

  flush(): void {
    this.commit();
    if (this.#synced >= this.#commits) return;
    fdatasyncSync(this.#walFile());
    if (!this.#directorySynced) {
      const fd = openSync(dirname(this.path), 'r');
      try { fsyncSync(fd); } finally { closeSync(fd); }
      this.#directorySynced = true;
    }
    this.#synced = this.#commits;
  }

  /** The WAL exists from the first read of a WAL database until its last connection closes, so after any commit. */
  #walFile(): number {
    this.#wal ??= openSync(`${this.path}-wal`, 'r+');
    return this.#wal;
  }

  #closeWal(): void {
    if (this.#wal === null) return;
    try { closeSync(this.#wal); } catch { /* already closed */ }
    this.#wal = null;
  }

  discard(): void {
    this.#depth = 0;
    if (!this.#writing) return;
    this.#writing = false;
    if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
  }

  close(): void {
    this.discard();
    this.#statements.clear();
    if (this.#db.isOpen) this.#db.close();
    this.#closed = true;
    // A sync still on the thread pool holds the descriptor: closing it now could sync whatever file reuses the number.
    if (this.#syncsInFlight === 0) this.#closeWal();
  }
}

/** Names in a path: the scope and worker are checked names, class names identifiers, ids hex. */
const segment = (name: string): string => encodeURIComponent(name);

export class SqliteObjectStorageProvider implements ObjectStorageProvider {
  readonly root: string;
  readonly #options: ObjectStorageOptions;
  constructor(dataDir: string, options: ObjectStorageOptions = {}) {
    this.root = join(dataDir, 'durable-objects');
    this.#options = options;
  }

  pathOf(address: ObjectAddress): string {
    return join(this.root, segment(address.scope), segment(address.worker), segment(address.className), `${segment(address.id)}.sqlite`);
  }

  open(address: ObjectAddress): SqliteObjectStorage {
    return new SqliteObjectStorage(this.pathOf(address), this.#options);
  }
}
