// Isolates with the runtime already booted, kept ready off the request path: a cold start then only
// compiles and evaluates the tenant's own module (code-cached), instead of creating an isolate and
// evaluating the runtime while a client waits.
import { RuntimeImage } from './bridge/runtime-image.js';
import { SandboxIsolate } from './bridge/sandbox-isolate.js';

export interface IsolatePoolOptions {
  /** How many booted, unassigned isolates to keep ready. */
  spares: number;
  /** Memory limit of the spares; a worker asking for another limit gets a fresh isolate. */
  memoryMb: number;
}

export class IsolatePool {
  readonly image: RuntimeImage;
  readonly #options: IsolatePoolOptions;
  readonly #spares: SandboxIsolate[] = [];
  #refillScheduled = false;
  #closed = false;

  constructor(options: IsolatePoolOptions, image = new RuntimeImage()) {
    this.#options = options;
    this.image = image;
    this.#scheduleRefill();
  }

  get spareCount(): number { return this.#spares.length; }

  /** A booted isolate for a worker: a spare when one fits, else one booted now. */
  acquire(memoryMb: number): SandboxIsolate {
    if (memoryMb === this.#options.memoryMb) {
      const spare = this.#spares.pop();
      this.#scheduleRefill();
      if (spare !== undefined) return spare;
    }
    return new SandboxIsolate(this.image, memoryMb);
  }

  /** Boots spares one per turn of the event loop, so a burst of traffic is not held up behind them. */
  #scheduleRefill(): void {
    if (this.#refillScheduled || this.#closed || this.#spares.length >= this.#options.spares) return;
    this.#refillScheduled = true;
    // Two hops: the request that took a spare is dispatched in the next check phase (see
    // WorkerInstance), and the refill, which blocks the loop for a few ms, must come after it.
    setImmediate(() => setImmediate(() => {
      this.#refillScheduled = false;
      if (this.#closed || this.#spares.length >= this.#options.spares) return;
      this.#spares.push(new SandboxIsolate(this.image, this.#options.memoryMb));
      this.#scheduleRefill();
    }).unref()).unref();
  }

  close(): void {
    this.#closed = true;
    for (const spare of this.#spares.splice(0)) spare.dispose();
  }
}
