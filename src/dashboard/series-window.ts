// The page's copy of the server's traffic history: the first poll takes the whole window, later ones
// only the points after the last one held, appended here and trimmed to the server's capacity.
import type { StatsSeriesJson, WorkerSeriesJson } from '../host/observability/stats/stats-types.js';

type Column = keyof WorkerSeriesJson;
const COLUMNS: readonly Column[] = ['requests', 'errors', 'p50Ms', 'p95Ms', 'p99Ms', 'coldStarts', 'cpuMs', 'heapBytes', 'cost'];
/** Columns where "no value" is null (nothing measured), not 0 (nothing happened). */
const NULLABLE = new Set<Column>(['p50Ms', 'p95Ms', 'p99Ms', 'heapBytes']);

function emptySeries(length: number): WorkerSeriesJson {
  const out = {} as Record<Column, (number | null)[]>;
  for (const column of COLUMNS) out[column] = new Array<number | null>(length).fill(NULLABLE.has(column) ? null : 0);
  return out as WorkerSeriesJson;
}

function append(into: WorkerSeriesJson, from: WorkerSeriesJson | undefined, count: number): void {
  const target = into as unknown as Record<Column, (number | null)[]>;
  const source = from as unknown as Record<Column, (number | null)[]> | undefined;
  for (const column of COLUMNS) {
    for (let i = 0; i < count; i++) target[column].push(source?.[column][i] ?? (NULLABLE.has(column) ? null : 0));
  }
}

function trim(series: WorkerSeriesJson, drop: number): void {
  const target = series as unknown as Record<Column, (number | null)[]>;
  for (const column of COLUMNS) target[column].splice(0, drop);
}

export class SeriesWindow {
  t: number[] = [];
  total: WorkerSeriesJson = emptySeries(0);
  workers = new Map<string, WorkerSeriesJson>();
  intervalMs = 1000;
  capacity = 600;

  get last(): number { return this.t.at(-1) ?? 0; }

  add(json: StatsSeriesJson): void {
    this.intervalMs = json.intervalMs;
    this.capacity = json.capacity;
    const count = json.t.length;
    if (count === 0) return;
    const before = this.t.length;
    this.t.push(...json.t);
    append(this.total, json.total, count);
    for (const name of Object.keys(json.workers)) {
      if (!this.workers.has(name)) this.workers.set(name, emptySeries(before));
    }
    for (const [name, series] of this.workers) append(series, json.workers[name], count);
    const drop = this.t.length - this.capacity;
    if (drop > 0) {
      this.t.splice(0, drop);
      trim(this.total, drop);
      for (const series of this.workers.values()) trim(series, drop);
    }
  }

  /** The latest value of a column, for the workers table. */
  latest(worker: string, column: Column): number | null {
    const series = this.workers.get(worker);
    const values = series?.[column] as (number | null)[] | undefined;
    return values?.at(-1) ?? null;
  }

  /** A column's mean over the last `points` intervals, skipping nulls. */
  recent(worker: string, column: Column, points: number): number | null {
    const values = (this.workers.get(worker)?.[column] ?? []) as (number | null)[];
    const tail = values.slice(-points).filter((v): v is number => v !== null);
    return tail.length === 0 ? null : tail.reduce((a, b) => a + b, 0) / tail.length;
  }
}
