// One server's metrics in a Registry of its own (never prom-client's global one), so two servers in a
// process, as in tests, keep separate counts. It hands the platform an observer and renders the scrape.
import { Registry } from 'prom-client';
import type { CostPrices } from '../../platform/serve-config.js';
import { registerEngineMetrics, type EngineSnapshot } from './engine-metrics.js';
import { PlatformMetrics } from './platform-metrics.js';
import { registerUsageMetrics } from './usage-metrics.js';
import type { UsageTotals } from '../usage/usage-totals.js';

export interface Scrape {
  contentType: string;
  text: string;
}

export class ServerMetrics {
  readonly #registry = new Registry();
  /** Records each request; also the usage source of the admin API. */
  readonly requests: PlatformMetrics;

  constructor(prices: CostPrices) {
    this.requests = new PlatformMetrics(this.#registry, prices);
  }

  /**
   * The engines are read at each scrape; the platform that has them exists only after the observer.
   * `usage`: the engines' reports of their workers' usage, which each stats round brings up to date.
   */
  watchEngines(source: () => Promise<readonly EngineSnapshot[]>, usage?: UsageTotals): void {
    // Every metric's collect() starts in the same turn of a scrape: they share one stats round.
    let pending: Promise<readonly EngineSnapshot[]> | null = null;
    const round = (): Promise<readonly EngineSnapshot[]> => {
      pending ??= source().finally(() => { pending = null; });
      return pending;
    };
    registerEngineMetrics(this.#registry, round);
    if (usage !== undefined) registerUsageMetrics(this.#registry, usage, round);
  }

  /** Prometheus text exposition format 0.0.4. */
  async scrape(): Promise<Scrape> {
    return { contentType: this.#registry.contentType, text: await this.#registry.metrics() };
  }
}
