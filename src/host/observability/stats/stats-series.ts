// A short history of each worker's traffic for the dashboard: every interval (1 s) the requests the
// platform reported are folded into one point per worker, and the last `capacity` points (10 minutes)
// are kept in a ring. Prometheus keeps the long history; this exists so the dashboard can draw rates
// and percentiles without a Prometheus, and without diffing scrapes in the browser.
import type { CostPrices } from '../../platform/serve-config.js';
import { costOf } from '../metrics/cost-model.js';
import type { EngineSnapshot } from '../metrics/engine-metrics.js';
import type { PlatformObserver, RequestOutcome } from '../platform-observer.js';
import { Reservoir } from './reservoir.js';
import type { StatsSeriesJson, WorkerSeriesJson } from './stats-types.js';

export interface StatsSeriesOptions {
  intervalMs?: number;
  capacity?: number;
  /** Prices for the cost column; null where nothing is billed (islet dev). */
  prices: CostPrices | null;
  /** Read at the end of each interval for heap per worker and engine memory. */
  engines?: () => Promise<readonly EngineSnapshot[]>;
}

/** Latency samples kept per worker and interval: enough for a p99 that means something. */
const SAMPLES = 1024;
const QUANTILES = [0.5, 0.95, 0.99] as const;

/** What one worker did during the interval being filled. */
class Accumulator {
  requests = 0;
  errors = 0;
  coldStarts = 0;
  cpuMs = 0;
  gbSeconds = 0;
  admitted = 0;
  readonly latency = new Reservoir(SAMPLES);

  add(outcome: RequestOutcome): void {
    this.requests++;
    if (outcome.failure !== null || outcome.status >= 500) this.errors++;
    if (!outcome.admitted) return;
    const durationMs = finite(outcome.durationMs);
    const cpuMs = finite(outcome.cpuMs);
    this.admitted++;
    this.latency.offer(durationMs);
    this.cpuMs += cpuMs;
    this.gbSeconds += (finite(outcome.memoryMb) / 1024) * (durationMs / 1000);
    if (outcome.coldStartMs >= 0) this.coldStarts++;
  }
}

interface WorkerPoint {
  requests: number;
  errors: number;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  coldStarts: number;
  cpuMs: number;
  cost: number;
}

interface Point {
  t: number;
  total: WorkerPoint;
  workers: Map<string, WorkerPoint>;
  /** Filled in when the engines answer, a moment after the point is closed. */
  heap: Map<string, number> | null;
  engineRssBytes: number | null;
}

export class StatsSeries implements PlatformObserver {
  readonly intervalMs: number;
  readonly capacity: number;
  readonly #prices: CostPrices | null;
  readonly #engines: (() => Promise<readonly EngineSnapshot[]>) | null;
  readonly #ring: Point[] = [];
  #current = new Map<string, Accumulator>();
  #total = new Accumulator();
  #timer: NodeJS.Timeout | null = null;
  #sampling = false;

  constructor(options: StatsSeriesOptions) {
    this.intervalMs = options.intervalMs ?? 1_000;
    this.capacity = options.capacity ?? 600;
    this.#prices = options.prices;
    this.#engines = options.engines ?? null;
  }

  request(outcome: RequestOutcome): void {
    let acc = this.#current.get(outcome.worker);
    if (acc === undefined) {
      acc = new Accumulator();
      this.#current.set(outcome.worker, acc);
    }
    acc.add(outcome);
    this.#total.add(outcome);
  }

  start(): void {
    // unref: a sampling timer must never keep a stopping server alive.
    this.#timer ??= setInterval(() => this.tick(), this.intervalMs).unref();
  }

  stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }

  /** Closes the current interval into a point (the timer calls this; tests may too). */
  tick(now = Date.now()): void {
    const seconds = this.intervalMs / 1000;
    const workers = new Map<string, WorkerPoint>();
    for (const [name, acc] of this.#current) workers.set(name, this.#pointOf(acc, seconds));
    const point: Point = { t: now, total: this.#pointOf(this.#total, seconds), workers, heap: null, engineRssBytes: null };
    this.#ring.push(point);
    if (this.#ring.length > this.capacity) this.#ring.shift();
    this.#current = new Map();
    this.#total = new Accumulator();
    this.#sampleEngines(point);
  }

  #pointOf(acc: Accumulator, seconds: number): WorkerPoint {
    const [p50Ms, p95Ms, p99Ms] = acc.latency.quantiles(QUANTILES);
    const cost = this.#prices === null ? 0 : costOf({ requests: acc.admitted, cpuMs: acc.cpuMs, gbSeconds: acc.gbSeconds }, this.#prices).total;
    return {
      requests: acc.requests / seconds, errors: acc.errors / seconds,
      p50Ms: p50Ms ?? null, p95Ms: p95Ms ?? null, p99Ms: p99Ms ?? null,
      coldStarts: acc.coldStarts, cpuMs: acc.cpuMs, cost,
    };
  }

  /** One engine stats round at a time: a slow engine makes later points miss their heap, not pile up. */
  #sampleEngines(point: Point): void {
    if (this.#engines === null || this.#sampling) return;
    this.#sampling = true;
    this.#engines().then((engines) => {
      const heap = new Map<string, number>();
      let rss = 0;
      for (const engine of engines) {
        rss += engine.rssBytes;
        // A worker in a gradual rollout has an isolate per version: their heaps add up.
        for (const isolate of engine.isolates ?? []) heap.set(isolate.worker, (heap.get(isolate.worker) ?? 0) + isolate.heapUsedBytes);
      }
      point.heap = heap;
      point.engineRssBytes = rss;
    }, () => { /* an engine being replaced: this point has no memory figures */ }).finally(() => { this.#sampling = false; });
  }

  /** The points after `sinceMs` (all kept points by default), column by column. */
  series(sinceMs = 0): StatsSeriesJson {
    const points = this.#ring.filter((p) => p.t > sinceMs);
    const names = new Set<string>();
    for (const point of points) {
      for (const name of point.workers.keys()) names.add(name);
      for (const name of point.heap?.keys() ?? []) names.add(name);
    }
    const workers: Record<string, WorkerSeriesJson> = {};
    for (const name of [...names].sort()) {
      workers[name] = columns(points, (p) => p.workers.get(name), (p) => (p.heap === null ? null : p.heap.get(name) ?? 0));
    }
    const heapTotal = (p: Point): number | null => {
      if (p.heap === null) return null;
      let sum = 0;
      for (const bytes of p.heap.values()) sum += bytes;
      return sum;
    };
    return {
      intervalMs: this.intervalMs,
      capacity: this.capacity,
      t: points.map((p) => p.t),
      total: columns(points, (p) => p.total, heapTotal),
      workers,
      engineRssBytes: points.map((p) => p.engineRssBytes),
    };
  }
}

function columns(points: readonly Point[], pick: (p: Point) => WorkerPoint | undefined, heap: (p: Point) => number | null): WorkerSeriesJson {
  const out: WorkerSeriesJson = { requests: [], errors: [], p50Ms: [], p95Ms: [], p99Ms: [], coldStarts: [], cpuMs: [], heapBytes: [], cost: [] };
  for (const point of points) {
    const w = pick(point);
    out.requests.push(w?.requests ?? 0);
    out.errors.push(w?.errors ?? 0);
    out.p50Ms.push(w?.p50Ms ?? null);
    out.p95Ms.push(w?.p95Ms ?? null);
    out.p99Ms.push(w?.p99Ms ?? null);
    out.coldStarts.push(w?.coldStarts ?? 0);
    out.cpuMs.push(w?.cpuMs ?? 0);
    out.cost.push(w?.cost ?? 0);
    out.heapBytes.push(heap(point));
  }
  return out;
}

/** A value an engine reported that is not a number must not stop the request being counted. */
function finite(value: number): number {
  return Number.isFinite(value) && value > 0 ? value : 0;
}
