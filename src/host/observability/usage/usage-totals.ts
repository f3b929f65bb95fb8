// The supervisor's sums of what the engines report about their workers' usage, since the server
// started. Engines send counts since their previous report, so these only grow: an engine that dies
// and is replaced loses at most the counts of its last second, never what it reported before. The
// pending waitUntil work is a current value per engine, dropped with the engine.
import { OPERATION_BUCKETS, OPERATIONS } from './usage-ops.js';
import type { PendingRow, UsageReport } from './usage-report.js';

export interface WorkerTotals {
  subrequests: number;
  requestBodyBytes: number;
  responseBodyBytes: number;
  /** By OPERATIONS index. */
  readonly operations: Float64Array;
}

export interface LatencyTotals {
  /** Observations by OPERATION_BUCKETS bucket, the last above the largest bound (not cumulative). */
  readonly buckets: Float64Array;
  sum: number;
  count: number;
}

export class UsageTotals {
  readonly #workers = new Map<string, WorkerTotals>();
  readonly #latency: LatencyTotals[] = OPERATIONS.map(() => ({ buckets: new Float64Array(OPERATION_BUCKETS.length + 1), sum: 0, count: 0 }));
  /** The last pending rows of each engine, by the engine's client. */
  readonly #pending = new Map<object, PendingRow[]>();

  /** Adds a checked report from the engine `source`. */
  add(source: object, report: UsageReport): void {
    for (const [worker, subrequests, bytesIn, bytesOut, operations] of report.w) {
      const totals = this.#of(worker);
      totals.subrequests += subrequests;
      totals.requestBodyBytes += bytesIn;
      totals.responseBodyBytes += bytesOut;
      for (let i = 0; i < operations.length; i++) totals.operations[i]! += operations[i]!;
    }
    for (const [series, buckets, sum] of report.l) {
      const totals = this.#latency[series]!;
      for (let i = 0; i < buckets.length; i++) {
        totals.buckets[i]! += buckets[i]!;
        totals.count += buckets[i]!;
      }
      totals.sum += sum;
    }
    // A worker seen once keeps a series (at 0) once its work is done.
    for (const [worker] of report.p) this.#of(worker);
    if (report.p.length > 0) this.#pending.set(source, report.p);
    else this.#pending.delete(source);
  }

  /** The engine has gone: its waitUntil work went with it. */
  forget(source: object): void {
    this.#pending.delete(source);
  }

  workers(): IterableIterator<[string, Readonly<WorkerTotals>]> {
    return this.#workers.entries();
  }

  /** By OPERATIONS index. */
  latency(): readonly Readonly<LatencyTotals>[] {
    return this.#latency;
  }

  /** Invocations with waitUntil work running, by worker, over every engine; 0 for the other workers reported. */
  pending(): Map<string, number> {
    const sums = new Map<string, number>();
    for (const worker of this.#workers.keys()) sums.set(worker, 0);
    for (const rows of this.#pending.values()) {
      for (const [worker, invocations] of rows) sums.set(worker, (sums.get(worker) ?? 0) + invocations);
    }
    return sums;
  }

  #of(worker: string): WorkerTotals {
    let totals = this.#workers.get(worker);
    if (totals === undefined) {
      totals = { subrequests: 0, requestBodyBytes: 0, responseBodyBytes: 0, operations: new Float64Array(OPERATIONS.length) };
      this.#workers.set(worker, totals);
    }
    return totals;
  }
}
