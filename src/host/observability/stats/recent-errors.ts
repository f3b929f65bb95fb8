// The last failed requests with what they logged, for the dashboard's error panel. Log lines arrive
// from the log sink keyed by trace id, the outcome from the platform observer, in either order (a
// waitUntil's lines can follow the response), so recent lines are held per trace id for a while and
// a failure takes them, and keeps collecting its own late lines while it stays in the ring.
import { LogLevel, type LogLevelCode } from '../../../shared/boundary.js';
import type { LogSink } from '../log-sink.js';
import { hostAndPath } from '../logs/request-record.js';
import type { PlatformObserver, RequestOutcome } from '../platform-observer.js';
import type { ErrorLogLine, RecentErrorJson } from './stats-types.js';

export interface RecentErrorsOptions {
  /** Failed requests kept. */
  capacity?: number;
  /** Trace ids whose lines are held while their outcome is not known yet. */
  pendingTraces?: number;
}

/** Enough of a request's log to see what went wrong, bounded so one noisy request cannot hold memory. */
const LINES_PER_REQUEST = 50;
const LINE_CHARS = 8 * 1024;

const LEVEL_NAMES: Record<number, string> = {
  [LogLevel.Debug]: 'debug', [LogLevel.Info]: 'info', [LogLevel.Log]: 'log', [LogLevel.Warn]: 'warn', [LogLevel.Error]: 'error',
};

export class RecentErrors implements PlatformObserver {
  readonly #capacity: number;
  readonly #pendingTraces: number;
  /** Lines of requests whose outcome has not been seen, oldest trace first (Map keeps insertion order). */
  readonly #pending = new Map<string, ErrorLogLine[]>();
  /** Newest last. */
  readonly #ring: RecentErrorJson[] = [];
  /** The failures in the ring by trace id, so late lines find them. */
  readonly #failed = new Map<string, RecentErrorJson>();

  constructor(options: RecentErrorsOptions = {}) {
    this.#capacity = options.capacity ?? 100;
    this.#pendingTraces = options.pendingTraces ?? 2_000;
  }

  /** A sink that hands every line to `next` as well, and keeps the lines that carry a trace id. */
  sink(next: LogSink): LogSink {
    return {
      console: (worker, traceId, level: LogLevelCode, message) => {
        next.console(worker, traceId, level, message);
        this.#line(traceId, LEVEL_NAMES[level] ?? 'log', message);
      },
      workerError: (worker, traceId, message) => {
        next.workerError(worker, traceId, message);
        this.#line(traceId, 'platform', message);
      },
    };
  }

  #line(traceId: string | null, level: string, message: string): void {
    if (traceId === null) return;
    const line = { time: Date.now(), level, message: message.length > LINE_CHARS ? message.slice(0, LINE_CHARS) + '…' : message };
    const failed = this.#failed.get(traceId);
    if (failed !== undefined) {
      if (failed.logs.length < LINES_PER_REQUEST) failed.logs.push(line);
      return;
    }
    let lines = this.#pending.get(traceId);
    if (lines === undefined) {
      lines = [];
      this.#pending.set(traceId, lines);
      if (this.#pending.size > this.#pendingTraces) this.#pending.delete(this.#pending.keys().next().value!);
    }
    if (lines.length < LINES_PER_REQUEST) lines.push(line);
  }

  request(outcome: RequestOutcome): void {
    // Most requests log nothing and succeed: they cost a size check.
    let logs: ErrorLogLine[] | undefined;
    if (this.#pending.size !== 0) {
      logs = this.#pending.get(outcome.traceId);
      if (logs !== undefined) this.#pending.delete(outcome.traceId);
    }
    if (outcome.failure === null && outcome.status < 500) return;
    const { host, path } = hostAndPath(outcome.url);
    const entry: RecentErrorJson = {
      time: Date.now(), worker: outcome.worker, version: outcome.version, method: outcome.method, host, path,
      status: outcome.status, failure: outcome.failure, durationMs: outcome.durationMs, traceId: outcome.traceId, logs: logs ?? [],
    };
    this.#ring.push(entry);
    this.#failed.set(entry.traceId, entry);
    if (this.#ring.length > this.#capacity) {
      const gone = this.#ring.shift()!;
      if (this.#failed.get(gone.traceId) === gone) this.#failed.delete(gone.traceId);
    }
  }

  /** Newest first, optionally of one worker. */
  list(worker: string | null = null, limit = this.#capacity): RecentErrorJson[] {
    const out: RecentErrorJson[] = [];
    for (let i = this.#ring.length - 1; i >= 0 && out.length < limit; i--) {
      const entry = this.#ring[i]!;
      if (worker === null || entry.worker === worker) out.push(entry);
    }
    return out;
  }
}
