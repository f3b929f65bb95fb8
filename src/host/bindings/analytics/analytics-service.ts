// Analytics Engine for one server: the store, the batch of points waiting for it, retention, and the
// SQL API. One instance per process that writes (islet dev's, or islet serve's supervisor, which
// engines send their points to); queries always name one tenant and see only its rows.
import { RETENTION_SECONDS, type AnalyticsPoint, type AnalyticsStore } from '../../storage/analytics/analytics-store.js';
import { parseQuery } from '../../storage/analytics/sql/parse-query.js';
import { formatResult, type FormattedResult } from '../../storage/analytics/sql/format-result.js';
import type { CheckedPoint } from './analytics-binding.js';
import { PointBatcher } from './point-batcher.js';

export interface AnalyticsServiceOptions {
  /** Where a failed batch write is reported. */
  onError?: (err: unknown) => void;
  clock?: () => number;
  /** How often points past the retention period are deleted (also once at start). Default: hourly. */
  pruneEveryMs?: number;
  /** Default 5000: a query past it is stopped. */
  queryTimeoutMs?: number;
  /** Default 10000: rows beyond it are not returned. */
  maxRows?: number;
}

export interface QueryOptions { timeoutMs?: number; maxRows?: number }

export const DEFAULT_QUERY_TIMEOUT_MS = 5_000;
export const DEFAULT_MAX_ROWS = 10_000;

export class AnalyticsService {
  readonly store: AnalyticsStore;
  readonly #batcher: PointBatcher<AnalyticsPoint>;
  readonly #clock: () => number;
  readonly #pruner: NodeJS.Timeout;
  readonly #timeoutMs: number;
  readonly #maxRows: number;
  /** Points written since start, for benchmarks and metrics. */
  written = 0;

  constructor(store: AnalyticsStore, options: AnalyticsServiceOptions = {}) {
    this.store = store;
    this.#clock = options.clock ?? Date.now;
    this.#timeoutMs = options.queryTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS;
    this.#maxRows = options.maxRows ?? DEFAULT_MAX_ROWS;
    const onError = options.onError ?? ((err: unknown) => process.stderr.write(`islet: analytics points were not written: ${String(err)}\n`));
    this.#batcher = new PointBatcher((batch) => {
      store.write(batch);
      this.written += batch.length;
    }, onError);
    this.prune();
    this.#pruner = setInterval(() => this.prune(), options.pruneEveryMs ?? 3_600_000);
    this.#pruner.unref();
  }

  /** Where a binding of `tenant`'s worker sends its points. */
  writer(tenant: string, dataset: string): (point: CheckedPoint) => void {
    return (point) => this.#batcher.add({ tenant, dataset, ...point });
  }

  /** Points already scoped (by the supervisor, from an engine's batch). */
  accept(points: readonly AnalyticsPoint[]): void {
    for (const point of points) this.#batcher.add(point);
  }

  /** Deletes points older than three months, as Cloudflare keeps them. */
  prune(): number {
    return this.store.prune(Math.floor(this.#clock() / 1000) - RETENTION_SECONDS);
  }

  /**
   * Runs one SQL API query over `tenant`'s points. Throws AnalyticsSqlError for a query that is not
   * in the supported dialect, AnalyticsQueryTimeout when it runs too long. Points still queued are
   * written first, so a query sees every write that returned before it.
   */
  query(tenant: string, sql: string, options: QueryOptions = {}): FormattedResult {
    const statement = parseQuery(sql);
    this.#batcher.flush();
    const result = this.store.query({ tenant, dataset: statement.dataset }, statement, {
      nowSeconds: Math.floor(this.#clock() / 1000),
      timeoutMs: options.timeoutMs ?? this.#timeoutMs,
      maxRows: options.maxRows ?? this.#maxRows,
    });
    return formatResult(result, statement.format, statement.limit !== null);
  }

  flush(): void {
    this.#batcher.flush();
  }

  close(): void {
    clearInterval(this.#pruner);
    this.#batcher.flush();
    this.store.close();
  }
}
