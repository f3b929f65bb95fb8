// `islet serve` as listening sockets: the tenants' front door and the admin API, over one Platform.
// Kept apart from the CLI so tests and embedders can run a whole server in-process.
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { LogSink } from '../observability/log-sink.js';
import { ServerMetrics } from '../observability/metrics/server-metrics.js';
import type { PlatformObserver } from '../observability/platform-observer.js';
import { TailHub } from '../observability/tail/tail-hub.js';
import { OtlpTraceExporter } from '../observability/tracing/otlp-exporter.js';
import { DashboardFeed } from '../observability/stats/dashboard-feed.js';
import { Platform } from '../platform/platform.js';
import type { ServeConfig } from '../platform/serve-config.js';
import { createAdminServer } from './admin/admin-http.js';
import { adminRoutes } from './admin/admin-routes.js';
import { resolveAdminToken } from './admin/admin-token.js';
import { metricsRoute } from './admin/metrics-route.js';
import { tailRoute } from './admin/tail-route.js';
import { lockDataDir } from './data-dir-lock.js';
import type { SchedulerClock } from '../scheduling/cron-scheduler.js';
import { createHttpFront, listen } from './http-front.js';
import { ObserverBatch } from '../observability/observer-batch.js';
import { dashboardPages } from './dashboard/dashboard-pages.js';
import { dashboardRoutes } from './dashboard/dashboard-routes.js';

export interface RunningServe {
  platform: Platform;
  /** What GET /metrics on the admin listener renders. */
  metrics: ServerMetrics;
  /** The dashboard's traffic history and recent failures. */
  dashboard: DashboardFeed;
  /** Live tails of workers (GET /api/v1/workers/:name/tail). */
  tail: TailHub;
  tenantUrl: string;
  adminUrl: string;
  token: string;
  /** Where a generated admin token was written; null when it was configured. */
  tokenFile: string | null;
  /** Stops accepting, lets in-flight requests and waitUntil work finish within `graceMs`, then closes. */
  close(graceMs?: number): Promise<void>;
}

function urlOf(address: AddressInfo): string {
  return `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    // Idle keep-alive connections would hold close() open; busy ones finish their response first.
    server.closeIdleConnections();
  });
}

export interface ServeObservers {
  /** Hear of every request too, after metrics and tails: the request log of the CLI's choosing. */
  observers?: readonly PlatformObserver[];
  /** Messages about the server itself (OTLP export failing); stderr by default. */
  notice?: (message: string) => void;
  /** The time cron triggers are scheduled by; the system clock unless a test controls it. */
  schedulerClock?: SchedulerClock;
}

export async function startServe(config: ServeConfig, log: LogSink, onError: (err: unknown) => void, extra: ServeObservers = {}): Promise<RunningServe> {
  mkdirSync(config.dataDir, { recursive: true });
  const { token, file } = resolveAdminToken(config.adminToken, config.adminIp, config.dataDir);
  const unlock = lockDataDir(config.dataDir);
  const metrics = new ServerMetrics(config.cost);
  let platform: Platform;
  const dashboard = new DashboardFeed({ prices: config.cost, engines: () => platform.engines() });
  const tail = new TailHub();
  const notice = extra.notice ?? ((message: string) => process.stderr.write(`${message}\n`));
  const otlpUrl = config.observability.otlpTracesUrl;
  const otlp = otlpUrl === null ? null
    : new OtlpTraceExporter({ url: otlpUrl, serviceName: process.env.OTEL_SERVICE_NAME || 'islet', headers: config.observability.otlpHeaders ?? {}, onProblem: notice });
  const batch = new ObserverBatch([metrics.requests, dashboard, tail, ...extra.observers ?? [], ...(otlp === null ? [] : [otlp])], onError);
  try {
    platform = await Platform.open(config, dashboard.sink(tail.tee(log)), batch, extra.schedulerClock);
  } catch (err) {
    unlock();
    throw err;
  }
  const front = createHttpFront({ route: (host, path) => platform.route(host, path), onError });
  metrics.watchEngines(() => platform.engines(), platform.supervisor.usage);
  const admin = createAdminServer(token, [...adminRoutes(platform, metrics.requests), ...dashboardRoutes(dashboard.stats, dashboard.errors),
    tailRoute(tail, (name) => platform.store.getWorker(name) !== null)], onError, [metricsRoute(metrics)], dashboardPages);
  let adminAddress: AddressInfo;
  let frontAddress: AddressInfo;
  try {
    adminAddress = await listen(admin, config.adminPort, config.adminIp);
    frontAddress = await listen(front, config.port, config.ip);
  } catch (err) {
    admin.close();
    await platform.shutdown(0);
    unlock();
    throw err;
  }
  dashboard.start();
  let closing: Promise<void> | null = null;
  return {
    platform, metrics, dashboard, tail, token, tokenFile: file,
    tenantUrl: urlOf(frontAddress),
    adminUrl: urlOf(adminAddress),
    close: (graceMs = config.shutdownGraceMs) => {
      closing ??= (async () => {
        dashboard.stop();
        tail.close();
        const stopped = Promise.all([closeServer(front), closeServer(admin)]);
        await platform.shutdown(graceMs);
        batch.deliver();
        // The last spans go out, but a collector that does not answer must not hold the exit up.
        if (otlp !== null) await Promise.race([otlp.close(), new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
        front.closeAllConnections();
        admin.closeAllConnections();
        await stopped;
        unlock();
      })();
      return closing;
    },
  };
}
