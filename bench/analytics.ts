// Workers Analytics Engine write throughput: data points stored per second when a worker writes one
// point per request and when it writes 250 (Workers' per-invocation maximum), under HTTP load, against
// the same worker writing none (so the ratio is what the writes cost a request). Points are counted in
// the store afterwards, so the figure is points written, not points attempted.
// Run: node --no-node-snapshot --import tsx bench/analytics.ts [--quick]
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Islet } from '../src/host/islet.js';
import { MemoryLogSink } from '../src/host/observability/log-sink.js';
import { createHttpFront, listen } from '../src/host/server/http-front.js';
import { pickGenerator, runLoad } from './load.js';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });
const durationS = values.quick ? 3 : 10;
const connections = 32;

const worker = (points: number) => `export default {
  fetch(request, env) {
    for (let i = 0; i < ${points}; i++) {
      env.AE.writeDataPoint({ blobs: ['/api/items', 'GET', 'ok'], doubles: [i, 12.5], indexes: ['customer-42'] });
    }
    return new Response('ok');
  },
};`;

const dir = mkdtempSync(join(tmpdir(), 'islet-bench-analytics-'));
const islet = new Islet({ dataDir: dir, log: new MemoryLogSink() });
const cases = [0, 1, 250].map((points) => ({
  points,
  name: `p${points}`,
  worker: islet.createWorker({
    name: `p${points}`, code: worker(points), limits: { cpuMs: 1_000 },
    analyticsEngineDatasets: [{ binding: 'AE', dataset: `d${points}` }],
  }),
}));
const server: Server = createHttpFront({ route: (_host, path) => cases.find((c) => path.startsWith(`/${c.name}`))?.worker ?? null });
const { port } = await listen(server, 0, '127.0.0.1');
const generator = pickGenerator();

// A dataset exists once a point is written to it (Cloudflare answers an unknown one with an error too):
// the worker writing none has nothing to count.
const stored = (c: (typeof cases)[number]) => (c.points === 0 ? 0
  : Number((JSON.parse(islet.analytics.query(c.name, `SELECT count() AS n FROM d${c.points}`).body) as { data: { n: string }[] }).data[0]!.n));

const rows: string[] = [];
let baseline = 0;
for (const c of cases) {
  const url = `http://127.0.0.1:${port}/${c.name}/`;
  await runLoad(generator, url, { connections, durationS: 1, threads: 1 });
  const before = stored(c);
  const started = performance.now();
  const load = await runLoad(generator, url, { connections, durationS, threads: 1 });
  const seconds = (performance.now() - started) / 1000;
  islet.analytics.flush();
  const written = stored(c) - before;
  if (c.points === 0) baseline = load.rps;
  rows.push(`${String(c.points).padStart(4)} points/request  ${load.rps.toFixed(0).padStart(7)} req/s  ${(written / seconds).toFixed(0).padStart(9)} points/s stored`
    + `  p99 ${load.p99Ms.toFixed(2)} ms  errors ${load.errors}  ${c.points === 0 ? '' : `req/s vs no writes: ${(load.rps / baseline).toFixed(2)}x`}`);
}

server.closeAllConnections();
server.close();
for (const c of cases) c.worker.dispose();
islet.close();
rmSync(dir, { recursive: true, force: true });
process.stdout.write(`Analytics Engine writes (islet dev's in-process host, ${generator}, ${connections} connections, ${durationS} s each)\n${rows.join('\n')}\n`);
