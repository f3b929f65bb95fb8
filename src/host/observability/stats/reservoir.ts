// Latency percentiles per interval from a bounded sample: Vitter's Algorithm R keeps a uniform random
// sample of every value offered, so memory stays fixed however many requests an interval has, and the
// percentiles of the sample estimate those of all requests (exact while fewer than `size` arrive).

export class Reservoir {
  readonly #size: number;
  readonly #values: number[] = [];
  #seen = 0;

  constructor(size: number) { this.#size = size; }

  get seen(): number { return this.#seen; }

  offer(value: number): void {
    this.#seen++;
    if (this.#values.length < this.#size) { this.#values.push(value); return; }
    const slot = Math.floor(Math.random() * this.#seen);
    if (slot < this.#size) this.#values[slot] = value;
  }

  /** Nearest-rank percentiles (q in 0..1) of what was kept, or null when nothing was offered. */
  quantiles(qs: readonly number[]): (number | null)[] {
    if (this.#values.length === 0) return qs.map(() => null);
    const sorted = [...this.#values].sort((a, b) => a - b);
    return qs.map((q) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!);
  }
}
