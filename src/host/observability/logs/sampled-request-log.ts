// Request log lines for a share of successful requests only (`[observability] request_log_sampling`).
// A line is the largest part of what observing a request costs, and at tens of thousands of requests a
// second most of them say the same thing; failures, cron runs and queue batches are rare and are the
// lines someone will look for, so they are always written. Exact counts are in the metrics.
import type { PlatformObserver, RequestOutcome } from '../platform-observer.js';

export function sampledRequestLog(log: PlatformObserver, rate: number, random: () => number = Math.random): PlatformObserver {
  if (rate >= 1) return log;
  return {
    request(outcome: RequestOutcome): void {
      if (outcome.failure !== null || outcome.event !== undefined || random() < rate) log.request(outcome);
    },
  };
}
