// What the dashboard is fed: the traffic history and the recent failures, both filled from the same
// request reports and log lines. The server hands it the platform's reports and wraps its log sink.
import type { CostPrices } from '../../platform/serve-config.js';
import type { LogSink } from '../log-sink.js';
import type { EngineSnapshot } from '../metrics/engine-metrics.js';
import type { PlatformObserver, RequestOutcome } from '../platform-observer.js';
import { RecentErrors } from './recent-errors.js';
import { StatsSeries } from './stats-series.js';

export interface DashboardFeedOptions {
  prices: CostPrices | null;
  engines?: () => Promise<readonly EngineSnapshot[]>;
  intervalMs?: number;
}

export class DashboardFeed implements PlatformObserver {
  readonly stats: StatsSeries;
  readonly errors = new RecentErrors();

  constructor(options: DashboardFeedOptions) {
    this.stats = new StatsSeries({
      prices: options.prices,
      ...(options.engines !== undefined ? { engines: options.engines } : {}),
      ...(options.intervalMs !== undefined ? { intervalMs: options.intervalMs } : {}),
    });
  }

  request(outcome: RequestOutcome): void {
    this.stats.request(outcome);
    this.errors.request(outcome);
  }

  /** `next`, also feeding the recent failures their log lines. */
  sink(next: LogSink): LogSink {
    return this.errors.sink(next);
  }

  start(): void { this.stats.start(); }
  stop(): void { this.stats.stop(); }
}
