// Collects data points and hands them on in batches, so a worker's writeDataPoint never waits for
// storage and many requests' points cost one transaction (or one IPC message) together. A batch goes
// after `delayMs`, or after the current turn once `maxPending` points wait: measured here, a commit
// per event-loop turn cost a 1-point-per-request worker ~40% of its throughput, a commit per 20 ms ~5%.

export class PointBatcher<T> {
  readonly #flush: (batch: T[]) => void;
  readonly #onError: (err: unknown) => void;
  readonly #delayMs: number;
  readonly #maxPending: number;
  #pending: T[] = [];
  #timer: NodeJS.Timeout | null = null;
  #soon = false;

  constructor(flush: (batch: T[]) => void, onError: (err: unknown) => void, options: { delayMs?: number; maxPending?: number } = {}) {
    this.#flush = flush;
    this.#onError = onError;
    this.#delayMs = options.delayMs ?? 20;
    this.#maxPending = options.maxPending ?? 2_000;
  }

  get pending(): number { return this.#pending.length; }

  add(item: T): void {
    this.#pending.push(item);
    if (this.#pending.length >= this.#maxPending) {
      if (!this.#soon) { this.#soon = true; setImmediate(() => this.flush()); }
      return;
    }
    if (this.#timer === null) {
      this.#timer = setTimeout(() => this.flush(), this.#delayMs);
      // Pending points must not keep a process alive that has nothing else to do; close() flushes them.
      this.#timer.unref();
    }
  }

  /** Hands on what is queued now (also before a query and at shutdown). */
  flush(): void {
    this.#soon = false;
    if (this.#timer !== null) { clearTimeout(this.#timer); this.#timer = null; }
    if (this.#pending.length === 0) return;
    const batch = this.#pending;
    this.#pending = [];
    try {
      this.#flush(batch);
    } catch (err) {
      this.#onError(err);
    }
  }
}
