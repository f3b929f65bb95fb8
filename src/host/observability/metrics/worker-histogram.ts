// A Prometheus histogram with one label, `worker`, whose observations cost an array increment. The
// request path holds each worker's series and observes into it; the registry reads the buckets at
// scrape time. prom-client's Histogram builds and hashes a label key on every observe, which was most
// of what recording a request cost; its exposition is what this one renders, line for line (a test
// compares the two).
import type { Metric, Registry } from 'prom-client';

/** One exposition line as the registry reads it from a metric's get(). */
export interface ExposedValue { labels: Record<string, string | number>; value: number; metricName: string }

/** One worker's buckets: counts[i] holds observations <= bounds[i] and > bounds[i - 1]; the last, the rest. */
export interface HistogramSeries {
  readonly worker: string;
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

export class WorkerHistogram {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram' as const;
  readonly aggregator = 'sum' as const;
  readonly #bounds: readonly number[];
  readonly #series = new Map<string, HistogramSeries>();

  constructor(options: { name: string; help: string; buckets: readonly number[]; registers: readonly Registry[] }) {
    this.name = options.name;
    this.help = options.help;
    this.#bounds = [...options.buckets].sort((a, b) => a - b);
    // The registry reads only name, help, type and get(): the shape every prom-client metric has.
    for (const registry of options.registers) registry.registerMetric(this as unknown as Metric);
  }

  /** The worker's series, created at its first request and kept for the next ones. */
  series(worker: string): HistogramSeries {
    let series = this.#series.get(worker);
    if (series === undefined) {
      series = { worker, counts: new Float64Array(this.#bounds.length + 1), sum: 0, count: 0 };
      this.#series.set(worker, series);
    }
    return series;
  }

  observe(series: HistogramSeries, value: number): void {
    const bounds = this.#bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    series.counts[i]!++;
    series.sum += value;
    series.count++;
  }

  async get(): Promise<{ name: string; help: string; type: 'histogram'; aggregator: 'sum'; values: ExposedValue[] }> {
    const values: ExposedValue[] = [];
    const bucket = `${this.name}_bucket`;
    for (const series of this.#series.values()) {
      let cumulative = 0;
      for (let i = 0; i < this.#bounds.length; i++) {
        cumulative += series.counts[i]!;
        values.push({ labels: { le: this.#bounds[i]!, worker: series.worker }, value: cumulative, metricName: bucket });
      }
      values.push({ labels: { le: '+Inf', worker: series.worker }, value: series.count, metricName: bucket });
      values.push({ labels: { worker: series.worker }, value: series.sum, metricName: `${this.name}_sum` });
      values.push({ labels: { worker: series.worker }, value: series.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    this.#series.clear();
  }
}
