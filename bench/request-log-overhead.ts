// What the JSON request log costs warm requests: the same server without it, with pino writing to
// /dev/null and with pino writing to a file, measured in alternation (so background load falls on
// all alike). Throughput on a small shared machine swings more than the effect, so the server's CPU
// time per request (from /proc, Linux only) is reported too, and the cost of the observer call
// alone is timed in this process.
// Run: node --no-node-snapshot --import tsx bench/request-log-overhead.ts [rounds] [seconds]
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BatchedLines } from '../src/host/observability/logs/batched-lines.js';
import { JsonLog } from '../src/host/observability/logs/json-log.js';
import type { RequestOutcome } from '../src/host/observability/platform-observer.js';
import { freePort, startChild, stopChild, waitForPort, type Child } from './child.js';
import { HELLO_BODY } from './hello.js';
import { pickGenerator, runLoad, type LoadResult } from './load.js';
import { median } from './stats.js';
import { NODE_FLAGS } from './targets.js';

const here = dirname(fileURLToPath(import.meta.url));
const rounds = Number(process.argv[2] ?? 3);
const durationS = Number(process.argv[3] ?? 5);
const generator = pickGenerator();

type Variant = 'off' | 'devnull' | 'file';
const VARIANTS: Variant[] = ['off', 'devnull', 'file'];

function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) / 100) * 1e6;
}

// The observer call alone: building the record, pino serialising it, and the batched write to
// /dev/null, in turns of 100 requests as a busy server would see them. Process CPU time, so the write
// on libuv's pool counts too.
{
  const log = new JsonLog(new BatchedLines(openSync('/dev/null', 'a')));
  const outcome: RequestOutcome = {
    worker: 'hello', version: 3, status: 200, admitted: true, durationMs: 0.41, cpuMs: 0.12, coldStartMs: -1, memoryMb: 128,
    failure: null, traceId: '4bf92f3577b34da6a3ce929d0e0e4736', method: 'GET', url: 'http://127.0.0.1:8787/hello/path?x=1', parentSpanId: null,
  };
  const turn = () => new Promise((resolve) => setImmediate(resolve));
  const run = async (n: number, logged: boolean) => {
    const before = process.cpuUsage();
    for (let i = 0; i < n; i += 100) {
      if (logged) for (let j = 0; j < 100; j++) log.request(outcome);
      await turn();
    }
    await log.flush();
    const used = process.cpuUsage(before);
    return used.user + used.system;
  };
  await run(20_000, true);
  const n = 200_000;
  const idle = await run(n, false);
  const busy = await run(n, true);
  console.log(`JsonLog.request() alone: ${((busy - idle) / n).toFixed(2)} µs of CPU per request line (batched to /dev/null)`);
}

async function start(variant: Variant, dir: string): Promise<{ url: string; child: Child; stop(): Promise<void> }> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(dir, 'data-'));
  const env: NodeJS.ProcessEnv = { PORT: String(port), DATA_DIR: dataDir, LOG: variant === 'off' ? 'off' : 'json' };
  if (variant !== 'off') env.LOG_FILE = variant === 'devnull' ? '/dev/null' : join(dir, 'requests.log');
  const child = startChild(process.execPath, [...NODE_FLAGS, join(here, 'servers', 'islet-serve-logged.ts')], env);
  const stop = async () => { await stopChild(child); rmSync(dataDir, { recursive: true, force: true }); };
  const url = `http://127.0.0.1:${port}/`;
  await waitForPort(port, child);
  const response = await fetch(url);
  const body = await response.text();
  if (response.status !== 200 || body !== HELLO_BODY) { await stop(); throw new Error(`${variant}: answered ${response.status} ${body}`); }
  return { url, child, stop };
}

const dir = mkdtempSync(join(tmpdir(), 'islet-bench-log-'));
const runs: Record<Variant, LoadResult[]> = { off: [], devnull: [], file: [] };
const cpuPerRequest: Record<Variant, number[]> = { off: [], devnull: [], file: [] };
try {
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? VARIANTS : [...VARIANTS].reverse();
    for (const variant of order) {
      const server = await start(variant, dir);
      try {
        await runLoad(generator, server.url, { connections: 16, durationS: 2, threads: 1 });
        const cpuBefore = cpuMicros(server.child.pid);
        const result = await runLoad(generator, server.url, { connections: 16, durationS, threads: 1 });
        const cpuUs = (cpuMicros(server.child.pid) - cpuBefore) / result.requests;
        runs[variant].push(result);
        cpuPerRequest[variant].push(cpuUs);
        console.log(`round ${round + 1}/${rounds} log ${variant.padEnd(7)} ${result.rps.toFixed(0).padStart(7)} req/s  p50 ${result.p50Ms.toFixed(3)} ms  p99 ${result.p99Ms.toFixed(3)} ms  server CPU ${cpuUs.toFixed(1)} µs/request${result.errors ? `  errors ${result.errors}` : ''}`);
      } finally {
        await server.stop();
      }
    }
  }
  const file = join(dir, 'requests.log');
  if (existsSync(file)) console.log(`log file: ${(statSync(file).size / 1e6).toFixed(1)} MB`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
if (rounds === 0) process.exit(0);
const off = median(runs.off.map((r) => r.rps));
const offCpu = median(cpuPerRequest.off);
for (const variant of ['devnull', 'file'] as const) {
  const rps = median(runs[variant].map((r) => r.rps));
  const cpu = median(cpuPerRequest[variant]);
  console.log(`median ${variant}: ${rps.toFixed(0)} req/s vs ${off.toFixed(0)} without (${((1 - rps / off) * 100).toFixed(1)}% fewer); server CPU ${cpu.toFixed(1)} vs ${offCpu.toFixed(1)} µs/request (+${(cpu - offCpu).toFixed(1)} µs)`);
}
