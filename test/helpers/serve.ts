// Runs a whole `islet serve` (platform, engine processes, tenant front door, admin API) in this process
// on loopback ports, on a temp data directory, and gives tests a typed way to use its admin API.
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryLogSink, type LogSink } from '../../src/host/observability/log-sink.js';
import { defaultServeConfig, type ServeConfig } from '../../src/host/platform/serve-config.js';
import { startServe, type RunningServe, type ServeObservers } from '../../src/host/server/serve-servers.js';

export const TOKEN = 'test-admin-token-0123456789';

export interface AdminAnswer { status: number; json: any; headers: Record<string, string | string[] | undefined> }

export interface TestServe {
  running: RunningServe;
  url: string;
  adminUrl: string;
  dataDir: string;
  logs: MemoryLogSink;
  admin(method: string, path: string, body?: unknown, token?: string | null): Promise<AdminAnswer>;
  /** Deploys `code` as worker `name`; `extra` is merged into the deploy body. Resolves with the answer. */
  deploy(name: string, code: string, extra?: Record<string, unknown>): Promise<AdminAnswer>;
  /** A tenant request with an explicit Host header (fetch() cannot set one). */
  get(path: string, host?: string, headers?: Record<string, string>): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }>;
  close(): Promise<void>;
}

/** `log` also gets every line `logs` keeps; `observers` and `notice` go to startServe as they are. */
export interface TestServeExtras extends ServeObservers {
  log?: LogSink;
}

export async function startTestServe(overrides: Partial<ServeConfig> = {}, keepDir?: string, extras: TestServeExtras = {}): Promise<TestServe> {
  const dataDir = keepDir ?? mkdtempSync(join(tmpdir(), 'islet-serve-'));
  const config: ServeConfig = {
    ...defaultServeConfig(dataDir),
    dataDir, port: 0, adminPort: 0, adminToken: TOKEN, engines: 1, shutdownGraceMs: 2_000,
    ...overrides,
  };
  config.pool = { ...config.pool, spares: 1, ...overrides.pool };
  const logs = new MemoryLogSink();
  const { log, ...observers } = extras;
  const sink: LogSink = log === undefined ? logs : {
    console: (...line) => { logs.console(...line); log.console(...line); },
    workerError: (...line) => { logs.workerError(...line); log.workerError(...line); },
  };
  const running = await startServe(config, sink, (err) => { throw err; }, observers);
  const admin = async (method: string, path: string, body?: unknown, token: string | null = TOKEN): Promise<AdminAnswer> => {
    const headers: Record<string, string> = {};
    if (token !== null) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${running.adminUrl}/api/v1${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    const text = await res.text();
    let json: unknown = text;
    try { json = JSON.parse(text); } catch { /* raw body (KV values) */ }
    return { status: res.status, json, headers: Object.fromEntries(res.headers) };
  };
  const get: TestServe['get'] = (path, host, headers = {}) => new Promise((resolve, reject) => {
    const url = new URL(running.tenantUrl + path);
    const req = httpRequest({ host: url.hostname, port: url.port, path, headers: { ...(host !== undefined ? { host } : {}), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), headers: res.headers }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
  return {
    running, url: running.tenantUrl, adminUrl: running.adminUrl, dataDir, logs, admin, get,
    deploy: (name, code, extra = {}) => admin('PUT', `/workers/${name}`, { code, ...extra }),
    close: async () => {
      await running.close(1_000);
      if (keepDir === undefined) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
