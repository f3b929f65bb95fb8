// Durable Objects: requests/s to one hot counter object (one client at a time, then 50 at once),
// against the same worker answering without an object, and the latency of a durable storage write.
//   node --no-node-snapshot --import tsx bench/durable-objects.ts [--duration S] [--connections N] [--puts N]
// (`npm run bench` runs it in its bindings section). Prints a table and one JSON line.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { serialize } from 'node:v8';
import { Islet } from '../src/host/islet.js';
import { MemoryLogSink } from '../src/host/observability/log-sink.js';
import { createHttpFront, listen } from '../src/host/server/http-front.js';
import { SqliteObjectStorageProvider } from '../src/host/storage/durable-objects/sqlite-object-storage.js';
import { pickGenerator, runLoad, type LoadResult } from './load.js';

const { values } = parseArgs({ options: { duration: { type: 'string', default: '5' }, connections: { type: 'string', default: '50' }, puts: { type: 'string', default: '500' } } });
const durationS = Number(values.duration);
const connections = Number(values.connections);
const puts = Number(values.puts);

const WORKER = `
export class Counter {
  constructor(state) { this.state = state; }
  async fetch() {
    const n = ((await this.state.storage.get('n')) ?? 0) + 1;
    this.state.storage.put('n', n);
    return new Response(String(n));
  }
}
export default {
  fetch(request, env) {
    if (new URL(request.url).pathname === '/plain') return new Response('1');
    return env.COUNTER.getByName('hot').fetch(request);
  },
};`;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** put, commit and sync (one commit, one fsync) on an object's own database: the output gate's wait per write. */
async function putLatency(dir: string, count: number): Promise<{ p50Ms: number; p99Ms: number }> {
  const storage = new SqliteObjectStorageProvider(dir).open({ scope: 'bench', worker: 'bench', className: 'Counter', id: 'f'.repeat(64) });
  const times: number[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const started = performance.now();
      storage.put([['n', serialize(i)]]);
      storage.commit();
      await storage.sync();
      times.push(performance.now() - started);
    }
  } finally {
    storage.close();
  }
  times.sort((a, b) => a - b);
  return { p50Ms: percentile(times, 50), p99Ms: percentile(times, 99) };
}

const dataDir = mkdtempSync(join(tmpdir(), 'islet-bench-do-'));
const islet = new Islet({ dataDir, log: new MemoryLogSink() });
const worker = islet.createWorker({ name: 'bench', code: WORKER, durableObjects: [{ binding: 'COUNTER', className: 'Counter' }], limits: { cpuMs: 1_000 } });
const server = createHttpFront({ route: () => worker });
const { port } = await listen(server, 0, '127.0.0.1');
const url = (path: string) => `http://127.0.0.1:${port}${path}`;
const generator = pickGenerator();
const log = (line: string) => process.stdout.write(`${line}\n`);

try {
  const results: Record<string, LoadResult & { cpuUsPerRequest: number }> = {};
  for (const [name, path, clients] of [['plain, 1 client', '/plain', 1], ['object, 1 client', '/object', 1], [`plain, ${connections} clients`, '/plain', connections], [`object, ${connections} clients`, '/object', connections]] as const) {
    await runLoad(generator, url(path), { connections: clients, durationS: 1, threads: 1 });
    // The generator is a process of its own: this process's CPU time is the server's.
    const cpuBefore = process.cpuUsage();
    const load = await runLoad(generator, url(path), { connections: clients, durationS, threads: 1 });
    const cpu = process.cpuUsage(cpuBefore);
    results[name] = { ...load, cpuUsPerRequest: (cpu.user + cpu.system) / Math.max(1, load.requests) };
    log(`${name.padEnd(24)} ${results[name]!.rps.toFixed(0).padStart(7)} req/s  p50 ${results[name]!.p50Ms.toFixed(2)} ms  p99 ${results[name]!.p99Ms.toFixed(2)} ms  CPU ${results[name]!.cpuUsPerRequest.toFixed(0)} µs/req  errors ${results[name]!.errors}`);
  }
  const counted = Number(await (await fetch(url('/object'))).text());
  const put = await putLatency(join(dataDir, 'put-bench'), puts);
  log(`storage put (durable)    p50 ${put.p50Ms.toFixed(3)} ms  p99 ${put.p99Ms.toFixed(3)} ms  (${puts} puts, each its own commit)`);
  log(`the counter reached ${counted}: every answered request incremented it once`);
  process.stdout.write(`${JSON.stringify({ generator, durationS, connections, results, put, counted })}\n`);
} finally {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  worker.dispose();
  islet.close();
  rmSync(dataDir, { recursive: true, force: true });
}
