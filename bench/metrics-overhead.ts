// What the metrics observer costs warm throughput: the same server with and without it, measured in
// alternation (so background load falls on both alike); the ratio of the medians is the overhead.
// Throughput on a small shared machine swings more than the effect, so the server's CPU time per
// request (from /proc, Linux only) is reported too: it does not depend on how busy the machine is.
// Run: node --no-node-snapshot --import tsx bench/metrics-overhead.ts [rounds] [seconds]
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, startChild, stopChild, waitForPort, type Child } from './child.js';
import { HELLO_BODY } from './hello.js';
import { pickGenerator, runLoad, type LoadResult } from './load.js';
import { median } from './stats.js';
import { NODE_FLAGS } from './targets.js';

const here = dirname(fileURLToPath(import.meta.url));
const rounds = Number(process.argv[2] ?? 3);
const durationS = Number(process.argv[3] ?? 5);
const generator = pickGenerator();

type Variant = 'off' | 'on';

/** User plus system CPU of a process so far, in microseconds (fields 14 and 15 of /proc/PID/stat). */
function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) / 100) * 1e6;
}

async function start(variant: Variant): Promise<{ url: string; child: Child; stop(): Promise<void> }> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'islet-bench-metrics-'));
  const child = startChild(process.execPath, [...NODE_FLAGS, join(here, 'servers', 'islet-serve-observed.ts')],
    { PORT: String(port), DATA_DIR: dataDir, METRICS: variant });
  const stop = async () => { await stopChild(child); rmSync(dataDir, { recursive: true, force: true }); };
  const url = `http://127.0.0.1:${port}/`;
  await waitForPort(port, child);
  const response = await fetch(url);
  const body = await response.text();
  if (response.status !== 200 || body !== HELLO_BODY) { await stop(); throw new Error(`${variant}: answered ${response.status} ${body}`); }
  return { url, child, stop };
}

const runs: Record<Variant, LoadResult[]> = { off: [], on: [] };
const cpuPerRequest: Record<Variant, number[]> = { off: [], on: [] };
for (let round = 0; round < rounds; round++) {
  const order: Variant[] = round % 2 === 0 ? ['off', 'on'] : ['on', 'off'];
  for (const variant of order) {
    const server = await start(variant);
    try {
      await runLoad(generator, server.url, { connections: 16, durationS: 2, threads: 1 });
      const cpuBefore = cpuMicros(server.child.pid);
      const result = await runLoad(generator, server.url, { connections: 16, durationS, threads: 1 });
      const cpuUs = (cpuMicros(server.child.pid) - cpuBefore) / result.requests;
      runs[variant].push(result);
      cpuPerRequest[variant].push(cpuUs);
      console.log(`round ${round + 1}/${rounds} metrics ${variant.padEnd(3)} ${result.rps.toFixed(0).padStart(7)} req/s  p50 ${result.p50Ms.toFixed(3)} ms  p99 ${result.p99Ms.toFixed(3)} ms  server CPU ${cpuUs.toFixed(1)} µs/request${result.errors ? `  errors ${result.errors}` : ''}`);
    } finally {
      await server.stop();
    }
  }
}
const off = median(runs.off.map((r) => r.rps));
const on = median(runs.on.map((r) => r.rps));
console.log(`median: without ${off.toFixed(0)} req/s, with ${on.toFixed(0)} req/s; with/without ${(on / off).toFixed(3)} (overhead ${((1 - on / off) * 100).toFixed(1)}%)`);
const cpuOff = median(cpuPerRequest.off);
const cpuOn = median(cpuPerRequest.on);
console.log(`median server CPU: without ${cpuOff.toFixed(1)} µs/request, with ${cpuOn.toFixed(1)} µs/request; with/without ${(cpuOn / cpuOff).toFixed(3)}`);
