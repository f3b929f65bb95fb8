// Where Workers Analytics Engine data points are kept, and how they are queried. Every backend runs
// the contract suite in test/analytics/analytics-store.contract.ts.
import type { SelectStatement } from './sql/ast.js';
import type { SqlType } from './sql/to-sqlite.js';

/** One data point as stored: a worker's write, already checked and scoped to its tenant and dataset. */
export interface AnalyticsPoint {
  tenant: string;
  dataset: string;
  /** Unix seconds (Analytics Engine timestamps have one-second resolution). */
  timestamp: number;
  index1: string;
  /** Up to 20; missing ones read as ''. */
  blobs: readonly string[];
  /** Up to 20; missing ones read as 0. */
  doubles: readonly number[];
}

export interface AnalyticsScope { tenant: string; dataset: string }

export interface AnalyticsQueryOptions {
  /** The query's now(), Unix seconds. */
  nowSeconds: number;
  /** The query is stopped (AnalyticsQueryTimeout) once it has run this long. */
  timeoutMs: number;
  /** At most this many rows are returned, whatever LIMIT says. */
  maxRows: number;
}

export interface AnalyticsQueryResult {
  meta: { name: string; type: SqlType }[];
  /** Values in `meta`'s order: DateTime as Unix seconds, 64-bit integers as bigint where they need it. */
  rows: unknown[][];
  /** Rows the query produced before LIMIT/OFFSET (and the row cap) were applied. */
  rowsBeforeLimit: number;
}

export interface AnalyticsStore {
  /** Writes the points in one transaction. */
  write(points: readonly AnalyticsPoint[]): void;
  /** Deletes points older than `beforeSeconds`; returns how many went. */
  prune(beforeSeconds: number): number;
  /** Runs a parsed query over the scope's points only, reading nothing else. */
  query(scope: AnalyticsScope, query: SelectStatement, options: AnalyticsQueryOptions): AnalyticsQueryResult;
  close(): void;
}

/** A query ran past its time limit. */
export class AnalyticsQueryTimeout extends Error {
  readonly code = 'ERR_ANALYTICS_QUERY_TIMEOUT';
  constructor(ms: number) {
    super(`The query ran longer than ${ms} ms and was stopped.`);
    this.name = 'AnalyticsQueryTimeout';
  }
}

/** Cloudflare keeps data points for three months. @see https://developers.cloudflare.com/analytics/analytics-engine/limits/ */
export const RETENTION_SECONDS = 92 * 86_400;
