// GET /metrics on the admin listener: Prometheus scrapes the path it is configured with, by default
// /metrics, and sends the admin token as a bearer token (`authorization` in its scrape config).
import type { ServerMetrics } from '../../observability/metrics/server-metrics.js';
import type { AdminRoute } from './admin-http.js';

export function metricsRoute(metrics: ServerMetrics): AdminRoute {
  return {
    method: 'GET', path: /^\/metrics$/, handle: async () => {
      const { contentType, text } = await metrics.scrape();
      return { status: 200, bytes: Buffer.from(text), contentType };
    },
  };
}
