// `islet serve` as listening sockets: the tenants' front door and the admin API, over one Platform.
// Kept apart from the CLI so tests and embedders can run a whole server in-process.
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { LogSink } from '../observability/log-sink.js';
import { ServerMetrics } from '../observability/metrics/server-metrics.js';
import { Platform } from '../platform/platform.js';
import type { ServeConfig } from '../platform/serve-config.js';
import { createAdminServer } from './admin/admin-http.js';
import { adminRoutes } from './admin/admin-routes.js';
import { resolveAdminToken } from './admin/admin-token.js';
import { metricsRoute } from './admin/metrics-route.js';
import { lockDataDir } from './data-dir-lock.js';
import { createHttpFront, listen } from './http-front.js';

export interface RunningServe {
  platform: Platform;
  /** What GET /metrics on the admin listener renders. */
  metrics: ServerMetrics;
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

export async function startServe(config: ServeConfig, log: LogSink, onError: (err: unknown) => void): Promise<RunningServe> {
  mkdirSync(config.dataDir, { recursive: true });
  const { token, file } = resolveAdminToken(config.adminToken, config.adminIp, config.dataDir);
  const unlock = lockDataDir(config.dataDir);
  const metrics = new ServerMetrics(config.cost);
  let platform: Platform;
  try {
    platform = await Platform.open(config, log, metrics.requests);
  } catch (err) {
    unlock();
    throw err;
  }
  const front = createHttpFront({ route: (host, path) => platform.route(host, path), onError });
  metrics.watchEngines(() => platform.engines());
  const admin = createAdminServer(token, adminRoutes(platform, metrics.requests), onError, [metricsRoute(metrics)]);
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
  let closing: Promise<void> | null = null;
  return {
    platform, metrics, token, tokenFile: file,
    tenantUrl: urlOf(frontAddress),
    adminUrl: urlOf(adminAddress),
    close: (graceMs = config.shutdownGraceMs) => {
      closing ??= (async () => {
        const stopped = Promise.all([closeServer(front), closeServer(admin)]);
        await platform.shutdown(graceMs);
        front.closeAllConnections();
        admin.closeAllConnections();
        await stopped;
        unlock();
      })();
      return closing;
    },
  };
}
