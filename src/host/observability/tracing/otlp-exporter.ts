// Exports one server span per request to an OpenTelemetry collector over OTLP/HTTP (JSON). A request
// only queues its outcome; batches go out from a timer or when full, one POST at a time, so a slow or
// absent collector never holds a request up. A batch the collector could not take for now (429, 502,
// 503, 504, or no answer at all) is sent again after a growing, jittered pause, or after the pause its
// Retry-After asks for, a bounded number of times; any other failure drops it at once. Meanwhile new
// spans wait in the same bounded queue, so a collector that is down costs at most that queue and the
// one batch being retried. Dropped spans are counted, and the operator is told once per outage.
// @see https://opentelemetry.io/docs/specs/otlp/#otlphttp (Failures, Retryable Response Codes, Throttling)
import type { PlatformObserver, RequestOutcome } from '../platform-observer.js';
import { encodeSpans, type SpanInput } from './otlp-encoding.js';
import type { OtlpHeaders } from './otlp-headers.js';
import { newSpanId } from './trace-context.js';

/** How a batch the collector could not take for now is sent again. */
export interface OtlpRetryOptions {
  /** POSTs of one batch at most, the first included. */
  maxAttempts?: number;
  /** The pause before the first retry; each next one doubles, up to maxBackoffMs. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** The longest Retry-After honoured; a collector asking for more gets the batch dropped, not held. */
  maxRetryAfterMs?: number;
}

export interface OtlpExporterOptions {
  /** The full URL spans are POSTed to, ending in /v1/traces. */
  url: string;
  /** The resource's service.name. */
  serviceName?: string;
  /** The instrumentation scope's version (Islet's). */
  version?: string;
  /** Spans per POST (the OpenTelemetry SDKs' default batch size). */
  maxBatch?: number;
  /** How often a partial batch goes out. */
  intervalMs?: number;
  /** Spans waiting beyond this are dropped. */
  maxQueue?: number;
  /** Per POST. */
  timeoutMs?: number;
  /** Sent with every POST (a collector's API key); never logged. */
  headers?: Readonly<OtlpHeaders>;
  retry?: OtlpRetryOptions;
  /** Told when export starts failing and when it works again. */
  onProblem?: (message: string) => void;
}

export interface OtlpStats {
  exported: number;
  dropped: number;
  queued: number;
}

export class OtlpTraceExporter implements PlatformObserver {
  readonly #url: string;
  readonly #serviceName: string;
  readonly #version: string;
  readonly #maxBatch: number;
  readonly #maxQueue: number;
  readonly #timeoutMs: number;
  readonly #headers: Record<string, string>;
  readonly #retry: Required<OtlpRetryOptions>;
  readonly #onProblem: (message: string) => void;
  readonly #timer: NodeJS.Timeout;
  #queue: SpanInput[] = [];
  #sending: Promise<void> | null = null;
  /** Set by close(): a batch waiting to be retried goes at once, and one that fails then is dropped. */
  #closing = false;
  /** Ends the pause before a retry early (close()). */
  #wake: (() => void) | null = null;
  #exported = 0;
  #dropped = 0;
  /** Spans dropped since export last worked; non-zero means the operator has been told. */
  #droppedInOutage = 0;

  constructor(options: OtlpExporterOptions) {
    this.#url = options.url;
    this.#serviceName = options.serviceName ?? 'islet';
    this.#version = options.version ?? '0.0.0';
    this.#maxBatch = options.maxBatch ?? 512;
    this.#maxQueue = options.maxQueue ?? 2048;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    // The exporter's own content-type goes last: the configured headers cannot replace it.
    this.#headers = { ...options.headers, 'content-type': 'application/json' };
    this.#retry = {
      maxAttempts: Math.max(1, options.retry?.maxAttempts ?? 5),
      initialBackoffMs: options.retry?.initialBackoffMs ?? 1_000,
      maxBackoffMs: options.retry?.maxBackoffMs ?? 30_000,
      maxRetryAfterMs: options.retry?.maxRetryAfterMs ?? 60_000,
    };
    this.#onProblem = options.onProblem ?? (() => {});
    this.#timer = setInterval(() => this.#flush(), options.intervalMs ?? 1_000);
    this.#timer.unref();
  }

  get stats(): OtlpStats {
    return { exported: this.#exported, dropped: this.#dropped, queued: this.#queue.length };
  }

  request(outcome: RequestOutcome): void {
    if (this.#queue.length >= this.#maxQueue) {
      this.#drop(1, 'the export queue is full');
      return;
    }
    // The span id the request's subrequests named as their parent, so the callees' spans link to this one.
    this.#queue.push({ outcome, spanId: outcome.spanId ?? newSpanId(), endMs: performance.timeOrigin + performance.now() });
    if (this.#queue.length >= this.#maxBatch) this.#flush();
  }

  /** Sends what is queued, then stops; waits for a POST in flight. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    this.#closing = true;
    this.#wake?.();
    while (this.#sending !== null || this.#queue.length > 0) {
      if (this.#sending === null) this.#flush();
      await this.#sending;
    }
  }

  /** Starts a POST of the next batch unless one is in flight (its end starts the next when needed). */
  #flush(): void {
    if (this.#sending !== null || this.#queue.length === 0) return;
    const batch = this.#queue.length <= this.#maxBatch ? this.#queue : this.#queue.slice(0, this.#maxBatch);
    this.#queue = batch === this.#queue ? [] : this.#queue.slice(this.#maxBatch);
    this.#sending = this.#post(batch).finally(() => {
      this.#sending = null;
      if (this.#queue.length >= this.#maxBatch) this.#flush();
    });
  }

  async #post(batch: SpanInput[]): Promise<void> {
    const body = encodeSpans(batch, this.#serviceName, this.#version);
    let rejected = 0;
    for (let attempt = 1; ; attempt++) {
      const result = await this.#attempt(body);
      if (typeof result === 'number') {
        rejected = Math.min(batch.length, result);
        break;
      }
      if (result.retryAfterMs === null || this.#closing || attempt >= this.#retry.maxAttempts) {
        this.#drop(batch.length, attempt > 1 && result.retryAfterMs !== null ? `${result.why}, ${attempt} attempts` : result.why);
        return;
      }
      const pause = result.retryAfterMs >= 0 ? result.retryAfterMs : this.#backoff(attempt);
      if (pause > this.#retry.maxRetryAfterMs) {
        this.#drop(batch.length, `${result.why}, retry after ${Math.ceil(pause / 1000)} s`);
        return;
      }
      await this.#pause(pause);
    }
    this.#exported += batch.length - rejected;
    if (rejected > 0) this.#dropped += rejected;
    if (this.#droppedInOutage > 0) {
      this.#onProblem(`OTLP export to ${this.#url} works again; ${this.#droppedInOutage} span${this.#droppedInOutage === 1 ? ' was' : 's were'} dropped meanwhile.`);
      this.#droppedInOutage = 0;
    }
  }

  /**
   * One POST: the spans the collector rejected in a success, or why it failed and when to try again
   * (`retryAfterMs` -1: after the backoff; null: never).
   */
  async #attempt(body: string): Promise<number | { why: string; retryAfterMs: number | null }> {
    try {
      const response = await fetch(this.#url, {
        method: 'POST', headers: this.#headers, body, signal: AbortSignal.timeout(this.#timeoutMs),
      });
      const text = await response.text();
      if (response.ok) return rejectedSpans(text);
      const why = `the collector answered ${response.status}`;
      if (!RETRYABLE.has(response.status)) return { why, retryAfterMs: null };
      return { why, retryAfterMs: retryAfterMs(response.headers.get('retry-after'), Date.now()) ?? -1 };
    } catch (err) {
      // No answer (refused, reset, timed out): the collector may be restarting, so it is worth another try.
      const cause = (err as { cause?: { code?: unknown } }).cause?.code;
      return { why: typeof cause === 'string' ? cause : err instanceof Error ? err.message : String(err), retryAfterMs: -1 };
    }
  }

  /**
   * Exponential, with jitter over the upper half so that servers restarted together do not have
   * their exporters retry in lockstep, while each pause still grows.
   */
  #backoff(attempt: number): number {
    const ceiling = Math.min(this.#retry.maxBackoffMs, this.#retry.initialBackoffMs * 2 ** (attempt - 1));
    return ceiling / 2 + Math.random() * (ceiling / 2);
  }

  #pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => { this.#wake = null; resolve(); }, ms);
      // A pause must not keep the process alive: close() ends it when the server stops.
      timer.unref();
      this.#wake = () => { clearTimeout(timer); this.#wake = null; resolve(); };
    });
  }

  #drop(count: number, why: string): void {
    if (this.#droppedInOutage === 0) this.#onProblem(`OTLP export to ${this.#url} failed (${why}); spans are dropped until it works again.`);
    this.#dropped += count;
    this.#droppedInOutage += count;
  }
}

/** What OTLP/HTTP lets a client retry; every other failure is final. */
const RETRYABLE: ReadonlySet<number> = new Set([429, 502, 503, 504]);

/**
 * A Retry-After header (RFC 9110 10.2.3: delay-seconds or an HTTP-date) as milliseconds from `now`,
 * never negative; null when absent or unreadable (the backoff applies then).
 */
export function retryAfterMs(value: string | null, now: number): number | null {
  if (value === null) return null;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // Each of the three HTTP-date forms starts with the day's name; Date.parse alone would take "-1" for a year.
  if (!/^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)/.test(text)) return null;
  const date = Date.parse(text);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

/** A 200 may still refuse some spans (partial success). */
function rejectedSpans(body: string): number {
  if (body === '') return 0;
  try {
    const parsed = JSON.parse(body) as { partialSuccess?: { rejectedSpans?: unknown } } | null;
    const rejected = Number(parsed?.partialSuccess?.rejectedSpans ?? 0);
    return Number.isSafeInteger(rejected) && rejected > 0 ? rejected : 0;
  } catch {
    return 0;
  }
}
