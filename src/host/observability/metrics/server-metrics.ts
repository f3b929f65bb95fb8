// One server's metrics in a Registry of its own (never prom-client's global one), so two servers in a
// process, as in tests, keep separate counts. It hands the platform an observer and renders the scrape.
import { Registry } from 'prom-client';
import type { CostPrices } from '../../platform/serve-config.js';
import { registerEngineMetrics, type EngineSnapshot } from './engine-metrics.js';
import { PlatformMetrics } from './platform-metrics.js';

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

  /** The engines are read at each scrape; the platform that has them exists only after the observer. */
  watchEngines(source: () => Promise<readonly EngineSnapshot[]>): void {
    registerEngineMetrics(this.#registry, source);
  }

  /** Prometheus text exposition format 0.0.4. */
  async scrape(): Promise<Scrape> {
    return { contentType: this.#registry.contentType, text: await this.#registry.metrics() };
  }
}
