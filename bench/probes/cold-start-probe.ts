// Runs in a fresh process: cold-starts many distinct workers, one at a time, and prints the timings as
// one JSON line. Half are driven in-host (worker.fetch), half through the HTTP front from a keep-alive
// client on another thread, so both the host's own cost and what a client sees are measured.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as turn } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { Islet } from '../../src/host/islet.js';
import type { ResidentWorker } from '../../src/host/isolates/resident-worker.js';
import { MemoryLogSink } from '../../src/host/observability/log-sink.js';
import { createHttpFront, listen } from '../../src/host/server/http-front.js';
import { distinctHelloModule } from '../hello.js';

const count = Number(process.env.COUNT ?? 200);
const warmup = Number(process.env.WARMUP ?? 20);
const spares = process.env.SPARES === undefined || process.env.SPARES === 'default' ? undefined : Number(process.env.SPARES);

const dataDir = mkdtempSync(join(tmpdir(), 'islet-bench-cold-'));
const islet = new Islet({ dataDir, log: new MemoryLogSink(), ...(spares === undefined ? {} : { spareIsolates: spares }) });
const workers = new Map<string, ResidentWorker>();
const server = createHttpFront({ route: (_host, path) => workers.get(path.split('/')[1] ?? '') ?? null });
const { port } = await listen(server, 0, '127.0.0.1');
const client = new Worker(new URL('./http-client-thread.ts', import.meta.url), { execArgv: ['--import', 'tsx'] });

let nextId = 0;
function newWorker(): { name: string; worker: ResidentWorker; coldMs: () => number } {
  const id = nextId++;
  const name = `w${id}`;
  const worker = islet.createWorker({ name, code: distinctHelloModule(id) });
  let ms = Number.NaN;
  worker.onColdStart = (start) => { ms = start.ms; };
  workers.set(name, worker);
  return { name, worker, coldMs: () => ms };
}

/** Lets the pool top its spares back up, as it would between cold starts that are not back to back. */
async function settle(): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const before = islet.pool.spareCount;
    await turn();
    await turn();
    if (islet.pool.spareCount === before) return;
  }
}

function retire(name: string, worker: ResidentWorker): void {
  worker.dispose();
  workers.delete(name);
}

async function inHost(): Promise<{ coldMs: number; firstMs: number; warmMs: number; bootMs: number }> {
  const { name, worker, coldMs } = newWorker();
  await settle();
  const timed = async () => {
    const started = performance.now();
    const response = await worker.fetch({ method: 'GET', url: `http://bench/${name}/`, headers: '', body: null, traceId: name });
    if (response.status !== 200) throw new Error(`${name} answered ${response.status}: ${String(response.body)}`);
    return performance.now() - started;
  };
  const firstMs = await timed();
  const warmMs = await timed();
  const bootMs = worker.instance?.sandbox.bootMs ?? Number.NaN;
  retire(name, worker);
  return { coldMs: coldMs(), firstMs, warmMs, bootMs };
}

function viaClient(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    client.once('message', (reply: { ms?: number; error?: string }) => {
      if (reply.error !== undefined) reject(new Error(reply.error)); else resolve(reply.ms!);
    });
    client.postMessage(url);
  });
}

async function overHttp(): Promise<{ coldMs: number; firstMs: number; warmMs: number }> {
  const { name, worker, coldMs } = newWorker();
  await settle();
  const url = `http://127.0.0.1:${port}/${name}/`;
  const firstMs = await viaClient(url);
  // The spare refill the cold start set off is not the second request's cost.
  await settle();
  const warmMs = await viaClient(url);
  retire(name, worker);
  return { coldMs: coldMs(), firstMs, warmMs };
}

// The first few cold starts pay one-off costs (the runtime's code cache, host JIT); steady state is
// what a running host offers.
for (let i = 0; i < warmup; i++) { await inHost(); await overHttp(); }

const host = { coldMs: [] as number[], firstMs: [] as number[], warmMs: [] as number[], bootMs: [] as number[] };
const http = { coldMs: [] as number[], firstMs: [] as number[], warmMs: [] as number[] };
for (let i = 0; i < count; i++) {
  const a = await inHost();
  host.coldMs.push(a.coldMs); host.firstMs.push(a.firstMs); host.warmMs.push(a.warmMs); host.bootMs.push(a.bootMs);
  const b = await overHttp();
  http.coldMs.push(b.coldMs); http.firstMs.push(b.firstMs); http.warmMs.push(b.warmMs);
}

server.closeAllConnections();
await new Promise<void>((resolve) => server.close(() => resolve()));
await client.terminate();
islet.close();
rmSync(dataDir, { recursive: true, force: true });
process.stdout.write(JSON.stringify({ spares: spares ?? 'default', workers: count * 2, host, http }) + '\n');
