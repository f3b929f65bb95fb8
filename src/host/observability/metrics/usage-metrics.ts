// What workers use besides requests and CPU, over every engine: subrequests, request and response
// body bytes, KV and Durable Object operations with their latency, and waitUntil work still running.
// Engines count as they go and report to the supervisor (UsageTotals); these metrics read the sums when
// Prometheus scrapes, after the scrape's stats round has brought every engine's latest counts in.
// Labels: worker and a fixed operation name for the counts; the operation alone for the latencies,
// so their series do not grow with the number of workers.
import { Counter, Gauge, type Metric, type Registry } from 'prom-client';
import { OPERATION_BUCKETS, OPERATIONS, type OperationKind } from '../usage/usage-ops.js';
import type { UsageTotals, WorkerTotals } from '../usage/usage-totals.js';

interface ExpositionValue {
  labels: Record<string, string | number>;
  value: number;
  metricName: string;
}

/**
 * A histogram by `op` whose buckets were counted elsewhere (in the engines): prom-client's Histogram
 * can only observe one value at a time, so this renders the sums in the same exposition itself.
 */
class OperationLatency {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly #kind: OperationKind;
  readonly #totals: UsageTotals;
  readonly #refresh: () => Promise<unknown>;

  constructor(name: string, help: string, kind: OperationKind, totals: UsageTotals, refresh: () => Promise<unknown>, registry: Registry) {
    this.name = name;
    this.help = help;
    this.#kind = kind;
    this.#totals = totals;
    this.#refresh = refresh;
    // The registry reads only name, help, type and get(), the shape of every prom-client metric.
    registry.registerMetric(this as unknown as Metric);
  }

  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: ExpositionValue[] }> {
    await this.#refresh();
    const values: ExpositionValue[] = [];
    const bucket = `${this.name}_bucket`;
    const latency = this.#totals.latency();
    for (let series = 0; series < OPERATIONS.length; series++) {
      const { kind, op } = OPERATIONS[series]!;
      const totals = latency[series]!;
      if (kind !== this.#kind || totals.count === 0) continue;
      let cumulative = 0;
      for (let i = 0; i < OPERATION_BUCKETS.length; i++) {
        cumulative += totals.buckets[i]!;
        values.push({ labels: { le: OPERATION_BUCKETS[i]!, op }, value: cumulative, metricName: bucket });
      }
      values.push({ labels: { le: '+Inf', op }, value: totals.count, metricName: bucket });
      values.push({ labels: { op }, value: totals.sum, metricName: `${this.name}_sum` });
      values.push({ labels: { op }, value: totals.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}

/** `refresh`: the scrape's stats round, after which every running engine's counts are in `totals`. */
export function registerUsageMetrics(registry: Registry, totals: UsageTotals, refresh: () => Promise<unknown>): void {
  const registers = [registry];
  const perWorker = (name: string, help: string, value: (worker: Readonly<WorkerTotals>) => number) => new Counter({
    name, help, labelNames: ['worker'], registers,
    async collect() {
      await refresh();
      this.reset();
      for (const [worker, used] of totals.workers()) {
        const count = value(used);
        if (count > 0) this.inc({ worker }, count);
      }
    },
  });
  perWorker('islet_subrequests_total',
    'Subrequests the worker made: fetch() calls, service binding calls and Cache API calls (those refused over the per-request limit excluded).',
    (w) => w.subrequests);
  perWorker('islet_request_body_bytes_total', 'Bytes of request bodies the worker\'s fetch handler received (service binding fetches included).', (w) => w.requestBodyBytes);
  perWorker('islet_response_body_bytes_total', 'Bytes of response bodies sent for the worker\'s fetch events, its own and the platform\'s error answers.', (w) => w.responseBodyBytes);

  const perOperation = (name: string, help: string, kind: OperationKind) => new Counter({
    name, help, labelNames: ['worker', 'op'], registers,
    async collect() {
      await refresh();
      this.reset();
      for (const [worker, used] of totals.workers()) {
        for (let series = 0; series < OPERATIONS.length; series++) {
          const count = used.operations[series]!;
          if (count > 0 && OPERATIONS[series]!.kind === kind) this.inc({ worker, op: OPERATIONS[series]!.op }, count);
        }
      }
    },
  });
  perOperation('islet_kv_operations_total', 'KV operations the worker made, by operation: get, put, delete, list.', 'kv');
  perOperation('islet_durable_object_operations_total',
    'Durable Object operations of the worker, by operation: fetch and rpc (stub calls), and storage_get, storage_put, storage_delete, '
    + 'storage_delete_all, storage_list, storage_transaction, storage_get_alarm, storage_set_alarm, storage_delete_alarm, storage_sql, storage_size, storage_sync.',
    'durable_object');
  new OperationLatency('islet_kv_operation_duration_seconds',
    'Time from a KV call to its answer, by operation, over all workers.', 'kv', totals, refresh, registry);
  new OperationLatency('islet_durable_object_operation_duration_seconds',
    'Time from a Durable Object stub call or storage call to its answer, by operation, over all workers.', 'durable_object', totals, refresh, registry);

  new Gauge({
    name: 'islet_wait_until_pending', help: 'Invocations of the worker that have sent their response and whose ctx.waitUntil() work is still running.',
    labelNames: ['worker'], registers,
    async collect() {
      await refresh();
      this.reset();
      for (const [worker, invocations] of totals.pending()) this.set({ worker }, invocations);
    },
  });
}
