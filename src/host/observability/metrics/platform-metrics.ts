// Prometheus metrics of the requests `islet serve` answers, recorded as the platform reports each one
// (PlatformObserver), plus each worker's usage and cost. Labels are worker, version number, status
// class and failure kind only, so the number of series grows with workers and versions, never with
// paths, clients or trace ids.
import { Counter, type Registry } from 'prom-client';
import type { CostPrices } from '../../platform/serve-config.js';
import type { PlatformObserver, RequestOutcome } from '../platform-observer.js';
import { costOf, type UsageSource, type WorkerUsage } from './cost-model.js';
import { WorkerHistogram, type HistogramSeries } from './worker-histogram.js';

/**
 * Seconds. Fine below 10 ms, where warm requests and their CPU time fall, so p50/p95/p99 can be read
 * there; coarse up to the 30 s wall-clock limit.
 */
export const DURATION_BUCKETS = [0.00025, 0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

type WorkerLabels = { worker: string };
type RequestLabels = { worker: string; version: string; status_class: string };

/**
 * One worker's label objects and running totals, kept so a request allocates no labels. Request
 * counts are plain numbers here and reach prom-client at scrape time: a prom-client increment builds
 * a label key each time, the largest part of what recording a request would cost otherwise.
 */
interface WorkerSeries {
  readonly labels: WorkerLabels;
  /** By version number * 10 + status class. */
  readonly requests: Map<number, { labels: RequestLabels; count: number }>;
  readonly usage: WorkerUsage;
  readonly duration: HistogramSeries;
  readonly cpu: HistogramSeries;
  /** Made at the worker's first cold start, so a worker never cold shows no empty series. */
  coldStartDuration: HistogramSeries | null;
}

export class PlatformMetrics implements PlatformObserver, UsageSource {
  readonly since = new Date();
  readonly prices: CostPrices;
  readonly #workers = new Map<string, WorkerSeries>();
  readonly #duration: WorkerHistogram;
  readonly #cpu: WorkerHistogram;
  readonly #coldStarts: Counter<'worker'>;
  readonly #coldStartDuration: WorkerHistogram;
  readonly #errors: Counter<'worker' | 'kind'>;

  constructor(registry: Registry, prices: CostPrices) {
    this.prices = prices;
    const registers = [registry];
    const workers = this.#workers;
    new Counter({
      name: 'islet_requests_total', help: 'Requests answered, by worker, version number and status class (refusals included).',
      labelNames: ['worker', 'version', 'status_class'], registers,
      collect() {
        this.reset();
        for (const series of workers.values()) {
          for (const { labels, count } of series.requests.values()) this.inc(labels, count);
        }
      },
    });
    this.#duration = new WorkerHistogram({
      name: 'islet_request_duration_seconds', help: 'Time from a request reaching the platform to its response head, for requests a worker ran.',
      buckets: DURATION_BUCKETS, registers,
    });
    this.#cpu = new WorkerHistogram({
      name: 'islet_request_cpu_seconds', help: 'CPU time the worker used per request.',
      buckets: DURATION_BUCKETS, registers,
    });
    this.#coldStarts = new Counter({
      name: 'islet_cold_starts_total', help: 'Requests that had to wait for the worker\'s isolate to be created and its module evaluated.',
      labelNames: ['worker'], registers,
    });
    this.#coldStartDuration = new WorkerHistogram({
      name: 'islet_cold_start_duration_seconds', help: 'How long those cold starts took.',
      buckets: DURATION_BUCKETS, registers,
    });
    this.#errors = new Counter({
      name: 'islet_errors_total',
      help: 'Error answers the platform gave for a worker, by kind: exception, cpu_limit, memory_limit, wall_limit, quarantine, queue_full, rate_limited, bad_gateway, unavailable.',
      labelNames: ['worker', 'kind'], registers,
    });
    new Counter({
      name: 'islet_worker_cost_total', help: 'What the worker\'s usage costs under the server\'s [cost] price model, since the server started.',
      labelNames: ['worker'], registers,
      collect() {
        this.reset();
        for (const [name, series] of workers) this.inc({ worker: name }, costOf(series.usage, prices).total);
      },
    });
  }

  request(outcome: RequestOutcome): void {
    const series = this.#seriesOf(outcome.worker);
    const statusClass = Math.floor(outcome.status / 100);
    const key = outcome.version * 10 + statusClass;
    const counted = series.requests.get(key);
    if (counted !== undefined) counted.count++;
    else {
      const labels = { worker: outcome.worker, version: String(outcome.version), status_class: `${statusClass}xx` };
      series.requests.set(key, { labels, count: 1 });
    }
    if (outcome.failure !== null) this.#errors.inc({ worker: outcome.worker, kind: outcome.failure });
    if (!outcome.admitted) return;
    const durationMs = finite(outcome.durationMs);
    const cpuMs = finite(outcome.cpuMs);
    this.#duration.observe(series.duration, durationMs / 1000);
    this.#cpu.observe(series.cpu, cpuMs / 1000);
    if (outcome.coldStartMs >= 0) {
      this.#coldStarts.inc(series.labels);
      series.coldStartDuration ??= this.#coldStartDuration.series(outcome.worker);
      this.#coldStartDuration.observe(series.coldStartDuration, finite(outcome.coldStartMs) / 1000);
    }
    const usage = series.usage;
    usage.requests++;
    usage.cpuMs += cpuMs;
    usage.gbSeconds += (finite(outcome.memoryMb) / 1024) * (durationMs / 1000);
  }

  usage(worker: string): WorkerUsage {
    const usage = this.#workers.get(worker)?.usage;
    return usage === undefined ? { requests: 0, cpuMs: 0, gbSeconds: 0 } : { ...usage };
  }

  #seriesOf(worker: string): WorkerSeries {
    let series = this.#workers.get(worker);
    if (series === undefined) {
      series = {
        labels: { worker }, requests: new Map(), usage: { requests: 0, cpuMs: 0, gbSeconds: 0 },
        duration: this.#duration.series(worker), cpu: this.#cpu.series(worker), coldStartDuration: null,
      };
      this.#workers.set(worker, series);
    }
    return series;
  }
}

/** A value the engine reported that is not a number must not stop the request being counted. */
function finite(value: number): number {
  return Number.isFinite(value) && value > 0 ? value : 0;
}
