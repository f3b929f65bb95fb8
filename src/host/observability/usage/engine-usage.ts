// An engine's running counts of what its workers use, kept where the work happens at the cost of a
// number increment: one preallocated meter per worker (subrequests, body bytes, binding operations)
// and one latency table for the whole engine (its buckets are per operation, never per worker, so
// their number stays fixed with thousands of workers). take() hands the counts over as a report and
// starts again from zero.
import { OPERATION_BUCKETS, OPERATIONS } from './usage-ops.js';
import type { LatencyRow, PendingRow, UsageReport, WorkerUsageRow } from './usage-report.js';

/** Body bytes as they pass; the engine's body channels add to it chunk by chunk. */
export interface ByteCount {
  bytes: number;
}

const BUCKETS = OPERATION_BUCKETS.length + 1;

/** Observations per operation series: BUCKETS counts each, and the sum of seconds. */
class LatencyTable {
  readonly counts = new Float64Array(OPERATIONS.length * BUCKETS);
  readonly sums = new Float64Array(OPERATIONS.length);

  observe(series: number, seconds: number): void {
    let i = 0;
    while (i < OPERATION_BUCKETS.length && seconds > OPERATION_BUCKETS[i]!) i++;
    this.counts[series * BUCKETS + i]!++;
    this.sums[series]! += seconds;
  }
}

/** One worker's usage in this engine since the last report. */
export class WorkerMeter {
  readonly worker: string;
  /** fetch(), service binding and Cache API calls its invocations made (within their limit). */
  subrequests = 0;
  /** Bytes of the request bodies its fetch events received. */
  readonly received: ByteCount = { bytes: 0 };
  /** Bytes of the response bodies its fetch events sent. */
  readonly sent: ByteCount = { bytes: 0 };
  /** Binding operations, by OPERATIONS index. */
  readonly operations = new Float64Array(OPERATIONS.length);
  readonly #latency: LatencyTable;

  constructor(worker: string, latency: LatencyTable) {
    this.worker = worker;
    this.#latency = latency;
  }

  /** An operation of series `series` (operationSeries) begun at `startedMs` (performance.now()) has answered. */
  operation(series: number, startedMs: number): void {
    this.operations[series]!++;
    this.#latency.observe(series, (performance.now() - startedMs) / 1000);
  }

  get used(): boolean {
    if (this.subrequests > 0 || this.received.bytes > 0 || this.sent.bytes > 0) return true;
    for (const count of this.operations) if (count > 0) return true;
    return false;
  }
}

export class EngineUsage {
  readonly #meters = new Map<string, WorkerMeter>();
  readonly #latency = new LatencyTable();
  /** The last report had pending waitUntil work: the next must say when it is gone. */
  #pendingReported = false;

  /** The worker's meter, shared by its versions in this engine. */
  meter(worker: string): WorkerMeter {
    let meter = this.#meters.get(worker);
    if (meter === undefined) {
      meter = new WorkerMeter(worker, this.#latency);
      this.#meters.set(worker, meter);
    }
    return meter;
  }

  /** What was used since the last call, with the waitUntil work pending now; null when there is nothing to say. */
  take(pending: PendingRow[]): UsageReport | null {
    const workers: WorkerUsageRow[] = [];
    for (const meter of this.#meters.values()) {
      if (!meter.used) continue;
      workers.push([meter.worker, meter.subrequests, meter.received.bytes, meter.sent.bytes, Array.from(meter.operations)]);
      meter.subrequests = 0;
      meter.received.bytes = 0;
      meter.sent.bytes = 0;
      meter.operations.fill(0);
    }
    const latency: LatencyRow[] = [];
    const { counts, sums } = this.#latency;
    for (let series = 0; series < OPERATIONS.length; series++) {
      const buckets = counts.subarray(series * BUCKETS, (series + 1) * BUCKETS);
      if (!buckets.some((count) => count > 0)) continue;
      latency.push([series, Array.from(buckets), sums[series]!]);
      buckets.fill(0);
      sums[series] = 0;
    }
    if (workers.length === 0 && latency.length === 0 && pending.length === 0 && !this.#pendingReported) return null;
    this.#pendingReported = pending.length > 0;
    return { w: workers, l: latency, p: pending };
  }
}
