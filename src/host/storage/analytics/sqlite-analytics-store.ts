// Analytics Engine data points in SQLite: `<data>/analytics.sqlite`, one table, columns as Cloudflare
// exposes them plus the hidden tenant and dataset. Writes come in batches, one transaction each, from
// one writer per server (islet serve's supervisor, or the islet dev process). Queries run on a separate
// read-only connection, so even a translation bug could not write.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { openWalDatabase } from '../open-database.js';
import {
  AnalyticsQueryTimeout, type AnalyticsPoint, type AnalyticsQueryOptions, type AnalyticsQueryResult, type AnalyticsScope,
  type AnalyticsStore,
} from './analytics-store.js';
import type { SelectStatement } from './sql/ast.js';
import { AnalyticsSqlError, AnalyticsUnknownDataset } from './sql/sql-error.js';
import { BLOB_COLUMNS, DOUBLE_COLUMNS, FN, translate } from './sql/to-sqlite.js';
import { registerSqlFunctions } from './sql/sqlite-functions.js';

export const ANALYTICS_FILE = 'analytics.sqlite';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS analytics_points (
  tenant TEXT NOT NULL,
  dataset TEXT NOT NULL,
  timestamp INTEGER NOT NULL,
  index1 TEXT NOT NULL DEFAULT '',
  ${BLOB_COLUMNS.map((c) => `${c} TEXT NOT NULL DEFAULT ''`).join(',\n  ')},
  ${DOUBLE_COLUMNS.map((c) => `${c} REAL NOT NULL DEFAULT 0`).join(',\n  ')},
  _sample_interval INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX IF NOT EXISTS analytics_points_scope ON analytics_points (tenant, dataset, timestamp);
CREATE INDEX IF NOT EXISTS analytics_points_age ON analytics_points (timestamp);
`;

/**
 * The datasets each tenant has written to. On Cloudflare a dataset's table is created by its first
 * write and then stays, points expiring or not; a query of any other name is an error.
 * @see https://developers.cloudflare.com/analytics/analytics-engine/sql-reference/ (SHOW TABLES)
 */
const DATASETS = `
CREATE TABLE IF NOT EXISTS analytics_datasets (
  tenant TEXT NOT NULL,
  dataset TEXT NOT NULL,
  PRIMARY KEY (tenant, dataset)
) WITHOUT ROWID;
`;
const INSERT_COLUMNS = ['tenant', 'dataset', 'timestamp', 'index1', ...BLOB_COLUMNS, ...DOUBLE_COLUMNS];

export interface SqliteAnalyticsStoreOptions {
  /** Only query (the CLI reading a dev server's file): no writer connection is opened. */
  readOnly?: boolean;
}

export class SqliteAnalyticsStore implements AnalyticsStore {
  readonly path: string;
  readonly #writer: DatabaseSync | null;
  readonly #insert: StatementSync | null;
  readonly #register: StatementSync | null;
  #reader: DatabaseSync | null = null;
  /** performance.now() past which the running query stops; read by the deadline function per row. */
  #deadline = Number.POSITIVE_INFINITY;
  #timeoutMs = 0;

  constructor(dataDir: string, options: SqliteAnalyticsStoreOptions = {}) {
    this.path = join(dataDir, ANALYTICS_FILE);
    if (options.readOnly === true) {
      this.#writer = null;
      this.#insert = null;
      this.#register = null;
      return;
    }
    mkdirSync(dataDir, { recursive: true });
    this.#writer = openWalDatabase(this.path);
    // NORMAL: a commit survives a killed process (the WAL is in the page cache) without an fsync per
    // batch; power loss may cost the last batches, which analytics (sampled on Cloudflare) can afford.
    this.#writer.exec('PRAGMA synchronous = NORMAL');
    this.#writer.exec(SCHEMA);
    const registered = this.#writer.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'analytics_datasets'").get() !== undefined;
    this.#writer.exec(DATASETS);
    // Files written before datasets were recorded: what they hold names the datasets written so far.
    if (!registered) this.#writer.exec('INSERT OR IGNORE INTO analytics_datasets (tenant, dataset) SELECT DISTINCT tenant, dataset FROM analytics_points');
    this.#register = this.#writer.prepare('INSERT OR IGNORE INTO analytics_datasets (tenant, dataset) VALUES (?, ?)');
    this.#insert = this.#writer.prepare(
      `INSERT INTO analytics_points (${INSERT_COLUMNS.join(', ')}) VALUES (${INSERT_COLUMNS.map(() => '?').join(', ')})`,
    );
  }

  write(points: readonly AnalyticsPoint[]): void {
    if (this.#writer === null || this.#insert === null || this.#register === null) throw new Error('this analytics store was opened read-only');
    if (points.length === 0) return;
    const insert = this.#insert;
    const register = this.#register;
    const seen = new Set<string>();
    const values: (string | number)[] = new Array(INSERT_COLUMNS.length);
    this.#writer.exec('BEGIN IMMEDIATE');
    try {
      for (const point of points) {
        values[0] = point.tenant;
        values[1] = point.dataset;
        values[2] = point.timestamp;
        values[3] = point.index1;
        for (let i = 0; i < 20; i++) values[4 + i] = point.blobs[i] ?? '';
        for (let i = 0; i < 20; i++) {
          const d = point.doubles[i] ?? 0;
          // SQLite stores NaN as NULL, which a NOT NULL column refuses; ClickHouse would keep NaN.
          values[24 + i] = Number.isNaN(d) ? 0 : d;
        }
        insert.run(...values);
        const key = `${point.tenant}\0${point.dataset}`;
        if (!seen.has(key)) { seen.add(key); register.run(point.tenant, point.dataset); }
      }
      this.#writer.exec('COMMIT');
    } catch (err) {
      this.#writer.exec('ROLLBACK');
      throw err;
    }
  }

  prune(beforeSeconds: number): number {
    if (this.#writer === null) return 0;
    const result = this.#writer.prepare('DELETE FROM analytics_points WHERE timestamp < ?').run(beforeSeconds);
    return Number(result.changes);
  }

  query(scope: AnalyticsScope, query: SelectStatement, options: AnalyticsQueryOptions): AnalyticsQueryResult {
    const translated = translate(query, scope, options.nowSeconds);
    const reader = this.#openReader();
    if (reader === null || !hasDataset(reader, scope)) throw new AnalyticsUnknownDataset(scope.dataset);
    let statement: StatementSync;
    try {
      statement = reader.prepare(translated.sql);
    } catch (err) {
      throw new AnalyticsSqlError(`The query could not be run: ${err instanceof Error ? err.message : String(err)}`);
    }
    statement.setReturnArrays(true);
    const first = query.offset;
    const wanted = Math.min(query.limit ?? Number.POSITIVE_INFINITY, options.maxRows);
    const rows: unknown[][] = [];
    let total = 0;
    this.#timeoutMs = options.timeoutMs;
    this.#deadline = performance.now() + options.timeoutMs;
    try {
      for (const row of statement.iterate(...translated.params)) {
        if (total >= first && rows.length < wanted) rows.push(row as unknown as unknown[]);
        total++;
        if ((total & 1023) === 0 && performance.now() > this.#deadline) throw new AnalyticsQueryTimeout(options.timeoutMs);
      }
    } catch (err) {
      if (err instanceof AnalyticsQueryTimeout || err instanceof AnalyticsSqlError) throw err;
      if (err instanceof Error && err.message.includes(FN.deadline)) throw new AnalyticsQueryTimeout(options.timeoutMs);
      throw new AnalyticsSqlError(`The query failed: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      this.#deadline = Number.POSITIVE_INFINITY;
    }
    return { meta: translated.meta, rows, rowsBeforeLimit: total };
  }

  /** Null while no point was ever written (a read-only store on a missing file). */
  #openReader(): DatabaseSync | null {
    if (this.#reader !== null) return this.#reader;
    if (!existsSync(this.path)) return null;
    const reader = new DatabaseSync(this.path, { readOnly: true, timeout: 5_000 });
    reader.exec('PRAGMA query_only = ON');
    registerSqlFunctions(reader, () => {
      if (performance.now() > this.#deadline) throw new AnalyticsQueryTimeout(this.#timeoutMs);
    });
    this.#reader = reader;
    return reader;
  }

  close(): void {
    this.#reader?.close();
    this.#reader = null;
    this.#writer?.close();
  }
}

/** Whether the tenant ever wrote to the dataset; a file no writer has upgraded yet is asked for its points. */
function hasDataset(reader: DatabaseSync, scope: AnalyticsScope): boolean {
  try {
    return reader.prepare('SELECT 1 FROM analytics_datasets WHERE tenant = ? AND dataset = ?').get(scope.tenant, scope.dataset) !== undefined;
  } catch {
    return reader.prepare('SELECT 1 FROM analytics_points WHERE tenant = ? AND dataset = ? LIMIT 1').get(scope.tenant, scope.dataset) !== undefined;
  }
}
