// `[observability] request_log_sampling`: the log keeps a share of requests. A request's line is the
// largest part of what observing it costs, and at tens of thousands a second most lines say the same.
// The choice is made from the trace id, so a request's own line and its console lines are kept or left
// out together, as Workers Logs' head_sampling_rate keeps or drops whole invocations. Some lines are
// always written: the request line of a request the platform failed, cron run and queue batch lines,
// what the platform reports about a worker, and console lines without a trace. Metrics, tails and the
// dashboard see everything either way; they are fed before this.
import type { LogLevelCode } from '../../../shared/boundary.js';
import type { LogSink } from '../log-sink.js';
import type { PlatformObserver, RequestOutcome } from '../platform-observer.js';

/** Whether the trace falls in the kept share: FNV-1a of its id, read as a fraction of 2^32. */
export function traceSampled(traceId: string, rate: number): boolean {
  let hash = 0x811c9dc5;
  for (let i = 0; i < traceId.length; i++) hash = Math.imul(hash ^ traceId.charCodeAt(i), 0x01000193);
  // FNV's low bits mix poorly for ids that differ only at the end (a counter): fold the high ones in.
  hash ^= hash >>> 15;
  hash = Math.imul(hash, 0x2c1b3c6d);
  hash ^= hash >>> 12;
  return (hash >>> 0) / 2 ** 32 < rate;
}

export function sampleLogs(log: LogSink, requests: PlatformObserver, rate: number): { log: LogSink; requests: PlatformObserver } {
  if (rate >= 1) return { log, requests };
  return {
    log: {
      console(worker: string, traceId: string | null, level: LogLevelCode, message: string): void {
        if (traceId === null || traceSampled(traceId, rate)) log.console(worker, traceId, level, message);
      },
      workerError: (worker, traceId, message) => log.workerError(worker, traceId, message),
    },
    requests: {
      request(outcome: RequestOutcome): void {
        if (outcome.failure !== null || outcome.event !== undefined || traceSampled(outcome.traceId, rate)) requests.request(outcome);
      },
    },
  };
}
