// A worker's log output is bounded on the host: a tenant logging in a loop must not fill the disk, the
// log pipeline or the host's memory. Each worker gets a budget of bytes per second (with a burst); lines
// beyond it are dropped, and one line says how many were, once the budget allows a line again.
import type { LogLevelCode } from '../../shared/boundary.js';
import type { LogSink } from './log-sink.js';

export interface LogBudget {
  /** Bytes a worker may log per second on average. */
  bytesPerSecond: number;
  /** Bytes it may log at once after a quiet spell. */
  burstBytes: number;
  /** A single line longer than this is cut, with a note of how much was cut. */
  maxLineBytes: number;
}

/** Generous for debugging, far below what would hurt a shared host. */
export const DEFAULT_LOG_BUDGET: LogBudget = { bytesPerSecond: 256 * 1024, burstBytes: 1024 * 1024, maxLineBytes: 64 * 1024 };

interface Bucket { tokens: number; last: number; dropped: number }

export function limitLogs(sink: LogSink, budget: LogBudget = DEFAULT_LOG_BUDGET, now: () => number = () => performance.now()): LogSink {
  const buckets = new Map<string, Bucket>();
  const admit = (worker: string, traceId: string | null, message: string): string | null => {
    const t = now();
    let bucket = buckets.get(worker);
    if (bucket === undefined) {
      bucket = { tokens: budget.burstBytes, last: t, dropped: 0 };
      buckets.set(worker, bucket);
    }
    bucket.tokens = Math.min(budget.burstBytes, bucket.tokens + ((t - bucket.last) / 1000) * budget.bytesPerSecond);
    bucket.last = t;
    const line = message.length > budget.maxLineBytes
      ? `${message.slice(0, budget.maxLineBytes)}... [${message.length - budget.maxLineBytes} more characters cut]`
      : message;
    if (bucket.tokens < line.length) {
      bucket.dropped++;
      return null;
    }
    bucket.tokens -= line.length;
    if (bucket.dropped > 0) {
      // The dropped lines may be other requests' than the one logging now: the note is the worker's.
      sink.workerError(worker, null, `${bucket.dropped} log line${bucket.dropped === 1 ? ' was' : 's were'} dropped: the worker logged more than ${budget.bytesPerSecond} bytes per second.`);
      bucket.dropped = 0;
    }
    return line;
  };
  return {
    console(worker: string, traceId: string | null, level: LogLevelCode, message: string): void {
      const line = admit(worker, traceId, message);
      if (line !== null) sink.console(worker, traceId, level, line);
    },
    workerError(worker: string, traceId: string | null, message: string): void {
      const line = admit(worker, traceId, message);
      if (line !== null) sink.workerError(worker, traceId, line);
    },
  };
}

