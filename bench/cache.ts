// The Cache API's cost, measured two ways in one run:
// - in the store: a hit (SqliteCacheStore.get) against a KV read of the same bytes (SqliteKvStore.get),
//   and puts per second against KV puts, for 1 KiB and 64 KiB bodies;
// - in a worker: a request answered from caches.default.match() against the same response built in
//   memory (so the ratio is what a hit adds to a request), and requests that each put() an entry.
// Run: node --no-node-snapshot --import tsx bench/cache.ts [--quick]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Islet } from '../src/host/islet.js';
import { MemoryLogSink } from '../src/host/observability/log-sink.js';
import type { ResidentWorker } from '../src/host/isolates/resident-worker.js';
import { SqliteCacheStore } from '../src/host/storage/cache/sqlite-cache-store.js';
import { SqliteKvStore } from '../src/host/storage/kv/sqlite-kv-store.js';
import { percentile } from './stats.js';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });
const samples = values.quick ? 500 : 5_000;
const puts = values.quick ? 300 : 3_000;
const dir = mkdtempSync(join(tmpdir(), 'islet-bench-cache-'));
const NOW = Date.now();

const us = (ms: number) => (ms * 1000).toFixed(1);
const f = (n: number, digits = 0) => n.toFixed(digits);

function time(run: () => void): number {
  const start = performance.now();
  run();
  return performance.now() - start;
}

function storeSide(size: number): string[] {
  const cache = new SqliteCacheStore(join(dir, `store-${size}`));
  const kv = new SqliteKvStore(join(dir, `store-${size}`));
  const body = new Uint8Array(size).fill(7);
  const entry = { status: 200, statusText: 'OK', headers: 'content-type:application/octet-stream\ncache-control:max-age=600', body, storedAt: NOW, expiresAt: NOW + 600_000, initialAge: 0 };
  for (let i = 0; i < 1000; i++) {
    cache.put('bench', '', `https://example.com/${i}`, entry);
    kv.put('bench', `k${i}`, { value: body, expiration: null, metadata: null });
  }
  const hit: number[] = [];
  const read: number[] = [];
  for (let i = 0; i < samples; i++) {
    hit.push(time(() => cache.get('bench', '', `https://example.com/${i % 1000}`, NOW + 1)));
    read.push(time(() => kv.get('bench', `k${i % 1000}`, Math.floor(NOW / 1000))));
  }
  const putMs = time(() => { for (let i = 0; i < puts; i++) cache.put('bench', '', `https://example.com/p${i}`, entry); });
  const kvPutMs = time(() => { for (let i = 0; i < puts; i++) kv.put('bench', `p${i}`, { value: body, expiration: null, metadata: null }); });
  cache.close();
  kv.close();
  const hitP50 = percentile(hit, 50), readP50 = percentile(read, 50);
  const putRate = puts / (putMs / 1000), kvRate = puts / (kvPutMs / 1000);
  return [
    `  store, ${size / 1024} KiB body: hit p50 ${us(hitP50)} us (KV get ${us(readP50)} us, ${f(hitP50 / readP50, 2)}x); ` +
    `put ${f(putRate)}/s (KV put, fsync per write, ${f(kvRate)}/s, ${f(putRate / kvRate, 2)}x)`,
  ];
}

async function workerSide(): Promise<string[]> {
  const islet = new Islet({ dataDir: join(dir, 'islet'), log: new MemoryLogSink() });
  const body = 'x'.repeat(1024);
  const make = (name: string, code: string): ResidentWorker => islet.createWorker({ name, code, limits: { cpuMs: 1_000 } });
  const fromCache = make('from-cache', `export default { async fetch(request) {
    const hit = await caches.default.match('https://example.com/page');
    if (hit) return hit;
    const fresh = new Response('${body}', { headers: { 'cache-control': 'max-age=600', 'content-type': 'text/plain' } });
    await caches.default.put('https://example.com/page', fresh.clone());
    return fresh;
  } }`);
  const fromMemory = make('from-memory', `export default { async fetch(request) {
    return new Response('${body}', { headers: { 'cache-control': 'max-age=600', 'content-type': 'text/plain' } });
  } }`);
  const fromKv = islet.createWorker({ name: 'from-kv', limits: { cpuMs: 1_000 }, kvNamespaces: [{ binding: 'KV', id: 'bench' }], code: `export default { async fetch(request, env) {
    const value = await env.KV.get('page', 'arrayBuffer');
    return new Response(value, { headers: { 'cache-control': 'max-age=600', 'content-type': 'text/plain' } });
  } }` });
  islet.kvNamespace('bench').put('page', new TextEncoder().encode(body));
  const putting = make('putting', `let n = 0; export default { async fetch(request) {
    await caches.default.put('https://example.com/item/' + (n++), new Response('${body}', { headers: { 'cache-control': 'max-age=600' } }));
    return new Response('ok');
  } }`);
  let trace = 0;
  const request = (worker: ResidentWorker) => worker.fetch({ method: 'GET', url: 'https://example.com/page', headers: '', body: null, traceId: `t${++trace}` });
  const latency = async (worker: ResidentWorker): Promise<number[]> => {
    const out: number[] = [];
    for (let i = 0; i < 200; i++) await request(worker);
    for (let i = 0; i < samples; i++) {
      const start = performance.now();
      const response = await request(worker);
      out.push(performance.now() - start);
      if (response.status !== 200) throw new Error(`worker answered ${response.status}`);
    }
    return out;
  };
  // Fill the cache, then let the deferred write land before measuring hits.
  await request(fromCache);
  await new Promise((resolve) => setTimeout(resolve, 20));
  const hit = percentile(await latency(fromCache), 50);
  const memory = percentile(await latency(fromMemory), 50);
  const kv = percentile(await latency(fromKv), 50);
  const start = performance.now();
  for (let i = 0; i < puts; i++) await request(putting);
  const putRate = puts / ((performance.now() - start) / 1000);
  for (const worker of [fromCache, fromMemory, fromKv, putting]) worker.dispose();
  islet.close();
  return [
    `  worker: request answered by caches.default.match() p50 ${us(hit)} us; by a Response built in memory ${us(memory)} us (${f(hit / memory, 2)}x); ` +
    `by env.KV.get() of the same bytes ${us(kv)} us (${f(hit / kv, 2)}x)`,
    `  worker: requests that each put() a 1 KiB entry, one at a time: ${f(putRate)}/s`,
  ];
}

try {
  const lines = [...storeSide(1024), ...storeSide(64 * 1024), ...await workerSide()];
  process.stdout.write(`cache (${samples} samples per latency, ${puts} puts)\n${lines.join('\n')}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
