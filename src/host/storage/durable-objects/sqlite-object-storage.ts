// One SQLite database per Durable Object: <data>/durable-objects/<scope>/<worker>/<class>/<id>.sqlite.
// The key-value API lives in `_cf_KV` and the alarm in `_cf_METADATA`, tables tenant SQL cannot reach
// (sql-authorizer.ts); the tenant's own tables sit beside them, as on Cloudflare's SQLite backend.
//
// Writes open one transaction that flush() commits: everything an object writes between two flushes
// (one isolate call, often several events delivered back to back) becomes durable in one fsync, which
// is Cloudflare's write coalescing. transaction() nests savepoints inside it.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DatabaseSync, constants, type StatementSync } from 'node:sqlite';
import { openWalDatabase } from '../open-database.js';
import { refusal } from './sql-authorizer.js';
import { eachStatement } from './sql-statements.js';
import {
  StorageError, type ObjectAddress, type ObjectStorage, type ObjectStorageProvider, type SqlResult, type SqlValue,
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

/** Tenant bindings as SQLite takes them: booleans as 0/1, byte views as BLOBs. */
function toSqlite(value: SqlValue | boolean): null | number | bigint | string | Uint8Array {
  if (typeof value === 'boolean') return value ? 1 : 0;
  return value;
}

export class SqliteObjectStorage implements ObjectStorage {
  readonly path: string;
  readonly #db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();
  /** The write transaction flush() commits is open. */
  #writing = false;
  #depth = 0;
  /** Set while tenant SQL compiles: the authorizer then applies. */
  #tenant = false;
  #refused: string | null = null;

  constructor(path: string) {
    this.path = path;
    mkdirSync(dirname(path), { recursive: true });
    this.#db = openWalDatabase(path, { limits: SQL_LIMITS } as NonNullable<ConstructorParameters<typeof DatabaseSync>[1]>);
    // As the KV store: WAL with synchronous=FULL, so a write the output gate let through survives power loss.
    this.#db.exec('PRAGMA synchronous = FULL');
    this.#db.exec('PRAGMA foreign_keys = ON');
    this.#db.exec(SCHEMA);
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
    this.#write();
    const upsert = this.#prepare('INSERT INTO _cf_KV (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
    for (const [key, value] of entries) upsert.run(utf8(key), value);
  }

  delete(keys: readonly string[]): number {
    this.#write();
    const remove = this.#prepare('DELETE FROM _cf_KV WHERE key = ?');
    let count = 0;
    for (const key of new Set(keys)) count += Number(remove.run(utf8(key)).changes);
    return count;
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
    this.#write();
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
    this.#write();
    if (time === null) this.#prepare("DELETE FROM _cf_METADATA WHERE key = 'alarm'").run();
    else this.#prepare("INSERT INTO _cf_METADATA (key, value) VALUES ('alarm', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(time);
  }

  exec(query: string, bindings: readonly SqlValue[]): SqlResult {
    this.#write();
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

  flush(): void {
    if (!this.#writing || this.#depth > 0) return;
    this.#writing = false;
    try {
      this.#db.exec('COMMIT');
    } catch (err) {
      // A commit that fails (disk full) leaves nothing half-written: it is rolled back whole.
      if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
      throw err;
    }
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
  }
}

/** Names in a path: the scope and worker are checked names, class names identifiers, ids hex. */
const segment = (name: string): string => encodeURIComponent(name);

export class SqliteObjectStorageProvider implements ObjectStorageProvider {
  readonly root: string;
  constructor(dataDir: string) { this.root = join(dataDir, 'durable-objects'); }

  pathOf(address: ObjectAddress): string {
    return join(this.root, segment(address.scope), segment(address.worker), segment(address.className), `${segment(address.id)}.sqlite`);
  }

  open(address: ObjectAddress): SqliteObjectStorage {
    return new SqliteObjectStorage(this.pathOf(address));
  }
}
