// Exports one server span per request to an OpenTelemetry collector over OTLP/HTTP (JSON). A request
// only queues its outcome; batches go out from a timer or when full, one POST at a time, so a slow or
// absent collector never holds a request up. When the queue is full or a POST fails, spans are
// dropped and counted (no retries: the next batch is already waiting), and the operator is told once
// per outage.
// @see https://opentelemetry.io/docs/specs/otlp/#otlphttp
import type { PlatformObserver, RequestOutcome } from '../platform-observer.js';
import { encodeSpans, type SpanInput } from './otlp-encoding.js';
import { newSpanId } from './trace-context.js';

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
  timeoutMs?: number;
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
  readonly #onProblem: (message: string) => void;
  readonly #timer: NodeJS.Timeout;
  #queue: SpanInput[] = [];
  #sending: Promise<void> | null = null;
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
    this.#queue.push({ outcome, spanId: newSpanId(), endMs: performance.timeOrigin + performance.now() });
    if (this.#queue.length >= this.#maxBatch) this.#flush();
  }

  /** Sends what is queued, then stops; waits for a POST in flight. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
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
    let rejected = 0;
    try {
      const response = await fetch(this.#url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: encodeSpans(batch, this.#serviceName, this.#version),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      const text = await response.text();
      if (!response.ok) {
        this.#drop(batch.length, `the collector answered ${response.status}`);
        return;
      }
      rejected = Math.min(batch.length, rejectedSpans(text));
    } catch (err) {
      const cause = (err as { cause?: { code?: unknown } }).cause?.code;
      this.#drop(batch.length, typeof cause === 'string' ? cause : err instanceof Error ? err.message : String(err));
      return;
    }
    this.#exported += batch.length - rejected;
    if (rejected > 0) this.#dropped += rejected;
    if (this.#droppedInOutage > 0) {
      this.#onProblem(`OTLP export to ${this.#url} works again; ${this.#droppedInOutage} span${this.#droppedInOutage === 1 ? ' was' : 's were'} dropped meanwhile.`);
      this.#droppedInOutage = 0;
    }
  }

  #drop(count: number, why: string): void {
    if (this.#droppedInOutage === 0) this.#onProblem(`OTLP export to ${this.#url} failed (${why}); spans are dropped until it works again.`);
    this.#dropped += count;
    this.#droppedInOutage += count;
  }
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
