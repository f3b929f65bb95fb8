// What the multi-tenant server reports about each request it answers: the platform calls this
// interface and knows nothing of what records it (Prometheus metrics, usage and cost today). Labels
// a recorder may derive from it are bounded: worker, version number, status, failure kind.

/** Why the platform, not the worker's own code, produced an error answer. */
export type FailureKind =
  /** 500 from the runtime: an uncaught exception, a promise that never settles, a bad response. */
  | 'exception'
  /** 503: the worker broke a limit. */
  | 'cpu_limit' | 'memory_limit' | 'wall_limit'
  /** 503 or 429 before any engine was asked. */
  | 'quarantine' | 'queue_full' | 'rate_limited'
  /** 502: the engine running the worker stopped, or answered nonsense. */
  | 'bad_gateway'
  /** 503 for another reason: an engine restarting, an isolate replaced under the request, shutdown. */
  | 'unavailable';

/** What ran when it was not a fetch: a cron trigger's scheduled() or a queue consumer's queue(). */
export type WorkerEvent =
  | { kind: 'scheduled'; cron: string; scheduledTime: number }
  | { kind: 'queue'; queue: string };

export interface RequestOutcome {
  worker: string;
  /** The version's number (1, 2, ...), as `islet versions list` shows it. */
  version: number;
  status: number;
  /** False when the platform refused the request before a worker ran (quarantine, rate, queue, no version). */
  admitted: boolean;
  /** From arrival at the platform to the response's head. */
  durationMs: number;
  cpuMs: number;
  /** The cold start this request paid for, or -1 when its isolate was already running. */
  coldStartMs: number;
  /** The isolate's memory limit; with the duration, the memory the request held. */
  memoryMb: number;
  failure: FailureKind | null;
  /** The request's trace id, which its log lines carry too (never a metric label). */
  traceId: string;
  method: string;
  /** The absolute URL the worker saw (never a metric label); for an event, a placeholder naming it. */
  url: string;
  /** Absent for a fetch. Logs and tails show these as the event they are, as wrangler tail does. */
  event?: WorkerEvent;
  /** The caller's span when the request came with a W3C traceparent: the parent of the request's span. */
  parentSpanId?: string | null;
  /**
   * The request's own span, chosen when it arrived: its subrequests and service binding calls named it
   * as their parent, so a span exported for the request must carry this id for the callees' spans to link.
   */
  spanId?: string;
}

export interface PlatformObserver {
  request(outcome: RequestOutcome): void;
}

export const NO_OBSERVER: PlatformObserver = { request() {} };
