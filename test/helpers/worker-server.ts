// Boots a real Islet host with one worker on a loopback port: real isolates, real SQLite in a temp
// dir, real HTTP. Tests talk to it with fetch().
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server } from 'node:http';
import { Islet, type IsletOptions, type WorkerSource } from '../../src/host/islet.js';
import { MemoryLogSink } from '../../src/host/observability/log-sink.js';
import { createHttpFront, listen } from '../../src/host/server/http-front.js';
import type { ResidentWorker } from '../../src/host/isolates/resident-worker.js';

export interface WorkerServer {
  url: string;
  islet: Islet;
  logs: MemoryLogSink;
  workers: Map<string, ResidentWorker>;
  dataDir: string;
  fetch(path: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

export interface WorkerServerOptions {
  dataDir?: string;
  outboundRoutes?: ReadonlyMap<string, string>;
  egress?: IsletOptions['egress'];
  durableObjects?: IsletOptions['durableObjects'];
}

/**
 * Serves each worker under /<name>/ when several are given, or at / when one is. Workers see the full
 * URL, prefix included, as with a Workers route.
 */
export async function startWorkers(sources: (Omit<WorkerSource, 'name'> & { name?: string })[], options: WorkerServerOptions = {}): Promise<WorkerServer> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'islet-test-'));
  const ownsDir = options.dataDir === undefined;
  const logs = new MemoryLogSink();
  const islet = new Islet({
    dataDir, log: logs,
    ...(options.outboundRoutes ? { outboundRoutes: options.outboundRoutes } : {}),
    ...(options.egress ? { egress: options.egress } : {}),
    ...(options.durableObjects ? { durableObjects: options.durableObjects } : {}),
  });
  const workers = new Map<string, ResidentWorker>();
  sources.forEach((source, i) => {
    const name = source.name ?? `worker${i}`;
    workers.set(name, islet.createWorker({ ...source, name }));
  });
  const single = sources.length === 1 ? [...workers.values()][0]! : null;
  const server: Server = createHttpFront({
    route: (_host, path) => single ?? workers.get(path.split('/')[1] ?? '') ?? null,
  });
  const address = await listen(server, 0, '127.0.0.1');
  const url = `http://127.0.0.1:${address.port}`;
  return {
    url, islet, logs, workers, dataDir,
    fetch: (path, init) => fetch(url + path, init),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      for (const worker of workers.values()) worker.dispose();
      islet.close();
      if (ownsDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** One worker from a module source string. */
export function startWorker(code: string, extra: Omit<WorkerSource, 'name' | 'code'> = {}, options: WorkerServerOptions = {}): Promise<WorkerServer> {
  return startWorkers([{ ...extra, code, name: 'test' }], options);
}

/**
 * Runs `body` as the inside of an async fetch handler and returns what it returns, as JSON. These
 * checks are about API behaviour, not limits: a fresh isolate compiling a whole API's code on a loaded
 * machine may use more than the default 50 ms of CPU, so they get a generous budget.
 */
export async function evalInWorker(body: string): Promise<unknown> {
  const server = await startWorker(`export default { async fetch(request, env, ctx) {
    const result = await (async () => { ${body} })();
    return Response.json({ result });
  } }`, { limits: { cpuMs: 5_000 } });
  try {
    const response = await server.fetch('/');
    const text = await response.text();
    if (response.status !== 200) throw new Error(`worker answered ${response.status}: ${text}\n${server.logs.lines.map((l) => l.message).join('\n')}`);
    return (JSON.parse(text) as { result: unknown }).result;
  } finally {
    await server.close();
  }
}
