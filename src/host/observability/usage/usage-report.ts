// What an engine tells the supervisor about its workers' usage, about once a second (with each
// watchdog ping and each stats round) and before it drains: counts since its previous report, never
// totals, so a replaced engine starts from zero and the supervisor's sums only grow. The engine runs
// tenant code, so the supervisor checks a report as `unknown` before adding it.
import { OPERATION_BUCKETS, OPERATIONS } from './usage-ops.js';

/** [worker, subrequests, request body bytes, response body bytes, operations by OPERATIONS index] */
export type WorkerUsageRow = [worker: string, subrequests: number, bytesIn: number, bytesOut: number, operations: number[]];

/** [OPERATIONS index, observations by OPERATION_BUCKETS bucket (the last: above the largest bound), sum of seconds] */
export type LatencyRow = [series: number, buckets: number[], sumSeconds: number];

/** [worker, its invocations whose waitUntil work is still running]: the value now, not a delta. */
export type PendingRow = [worker: string, invocations: number];

export interface UsageReport {
  /** Workers that used anything since the last report. */
  w: WorkerUsageRow[];
  /** Operation series observed since the last report (the engine's, not per worker). */
  l: LatencyRow[];
  /** Every worker with waitUntil work pending in the engine now. */
  p: PendingRow[];
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

function isCounts(value: unknown, length: number): value is number[] {
  return Array.isArray(value) && value.length === length && value.every(isCount);
}

/**
 * The report if it is well formed and names only workers the engine was given (`knows`), so an
 * engine cannot add label values of its own; null otherwise.
 */
export function parseUsageReport(value: unknown, knows: (worker: string) => boolean): UsageReport | null {
  if (typeof value !== 'object' || value === null) return null;
  const { w, l, p } = value as Record<string, unknown>;
  if (!Array.isArray(w) || !Array.isArray(l) || !Array.isArray(p)) return null;
  const known = (worker: unknown): worker is string => typeof worker === 'string' && knows(worker);
  for (const row of w) {
    if (!Array.isArray(row) || row.length !== 5 || !known(row[0]) || !isCount(row[1]) || !isCount(row[2]) || !isCount(row[3])
      || !isCounts(row[4], OPERATIONS.length)) return null;
  }
  for (const row of l) {
    if (!Array.isArray(row) || row.length !== 3 || !Number.isInteger(row[0]) || row[0] < 0 || row[0] >= OPERATIONS.length
      || !isCounts(row[1], OPERATION_BUCKETS.length + 1) || !isCount(row[2])) return null;
  }
  for (const row of p) {
    if (!Array.isArray(row) || row.length !== 2 || !known(row[0]) || !isCount(row[1])) return null;
  }
  return { w: w as WorkerUsageRow[], l: l as LatencyRow[], p: p as PendingRow[] };
}
