// Per-tenant admission: a request rate per worker (token bucket) and a bound on the requests running at
// once in a version's isolate, with a bounded queue behind it. Both answer before any engine is asked,
// so a tenant flooding the server costs a table lookup per excess request, not an isolate call.
import { platformResponse, type OutgoingResponse } from '../isolates/request-types.js';

export interface GateLimits {
  concurrency: number;
  queue: number;
  /** 0: unlimited. */
  ratePerSecond: number;
}

/** Token bucket refilled continuously; holds at most one second's worth (the burst). */
export class RateLimiter {
  #tokens: number;
  #last: number;
  constructor(readonly ratePerSecond: number, now = performance.now()) {
    this.#tokens = ratePerSecond;
    this.#last = now;
  }

  /** True when the request may go; otherwise the seconds until a token is due. */
  take(now = performance.now()): true | number {
    this.#tokens = Math.min(this.ratePerSecond, this.#tokens + ((now - this.#last) / 1000) * this.ratePerSecond);
    this.#last = now;
    if (this.#tokens >= 1) { this.#tokens -= 1; return true; }
    return (1 - this.#tokens) / this.ratePerSecond;
  }
}

/** Runs at most `concurrency` tasks at once; `queue` more wait in arrival order; the rest are refused. */
export class ConcurrencyGate {
  #running = 0;
  readonly #waiting: (() => void)[] = [];
  constructor(readonly concurrency: number, readonly queue: number) {}

  get running(): number { return this.#running; }
  get queued(): number { return this.#waiting.length; }

  /** null when the queue is full. */
  run<T>(task: () => Promise<T>): Promise<T> | null {
    if (this.#running < this.concurrency) {
      this.#running++;
      return this.#go(task);
    }
    if (this.#waiting.length >= this.queue) return null;
    // The slot is handed over by the task that finishes, so none can be taken in between.
    return new Promise<void>((resolve) => this.#waiting.push(resolve)).then(() => this.#go(task));
  }

  #go<T>(task: () => Promise<T>): Promise<T> {
    let promise: Promise<T>;
    try {
      promise = task();
    } catch (err) {
      promise = Promise.reject(err);
    }
    return promise.finally(() => {
      const next = this.#waiting.shift();
      if (next !== undefined) next();
      else this.#running--;
    });
  }
}

export function tooManyRequests(retryAfterSeconds: number): OutgoingResponse {
  const response = platformResponse(429, 'Too Many Requests: this worker is over its request rate.\n', 'rate_limited');
  response.headers += `\nretry-after:${Math.max(1, Math.ceil(retryAfterSeconds))}`;
  return response;
}

export function queueFull(): OutgoingResponse {
  const response = platformResponse(503, 'Service Unavailable: this worker has too many requests waiting.\n', 'queue_full');
  response.headers += '\nretry-after:1';
  return response;
}
