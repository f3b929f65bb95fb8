// The `observability` section: what metrics, the dashboard's history, tails and the JSON request log
// cost warm hello-world requests, with versus without, on `islet serve`'s real server. The two
// variants run in alternation (on/off, then off/on) so background load falls on both alike. Three
// figures, from least to most sensitive to a noisy machine:
// - the observers' own CPU per request, timed in this process (the chain every request goes through);
// - the server's CPU per request (its process and its engines, from /proc), which does not depend on
//   how busy the machine is;
// - throughput, as the ratio of each adjacent on/off pair, of which the median is reported.
import { mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BatchedLines } from '../src/host/observability/logs/batched-lines.js';
import { JsonLog } from '../src/host/observability/logs/json-log.js';
import { ServerMetrics } from '../src/host/observability/metrics/server-metrics.js';
import type { RequestOutcome } from '../src/host/observability/platform-observer.js';
import { DashboardFeed } from '../src/host/observability/stats/dashboard-feed.js';
import { TailHub } from '../src/host/observability/tail/tail-hub.js';
import { defaultServeConfig } from '../src/host/platform/serve-config.js';
import { freePort, startChild, stopChild, waitForPort, type Child } from './child.js';
import { HELLO_BODY } from './hello.js';
import { runLoad, type Generator, type LoadResult } from './load.js';
import { median } from './stats.js';
import { NODE_FLAGS } from './targets.js';

const here = dirname(fileURLToPath(import.meta.url));

type Variant = 'on' | 'off';

export interface ObservabilityRound { variant: Variant; rps: number; p50Ms: number; p99Ms: number; cpuUsPerRequest: number; errors: number }

export interface ObservabilityResult {
  engines: number;
  rounds: ObservabilityRound[];
  /** Medians per variant. */
  off: { rps: number; cpuUsPerRequest: number };
  on: { rps: number; cpuUsPerRequest: number };
  /** Median over adjacent pairs of on / off throughput: 0.97 is 3% fewer requests per second. */
  pairedRpsRatio: number;
  /** Median server CPU per request, on / off. */
  cpuRatio: number;
}

export interface ObservabilityReport {
  /** µs of CPU the observer chain takes per request, in this process (log lines batched to /dev/null). */
  observersUsPerRequest: number;
  servers: ObservabilityResult[];
}

/** User plus system CPU of a process and its children (the engines) so far, in microseconds. */
function treeCpuMicros(pid: number): number {
  const ticks = (stat: string) => {
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(fields[1]), cpu: Number(fields[11]) + Number(fields[12]) };
  };
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = ticks(readFileSync(`/proc/${entry}/stat`, 'utf8'));
      if (Number(entry) === pid || stat.ppid === pid) total += stat.cpu;
    } catch { /* exited while being read */ }
  }
  return (total / 100) * 1e6;
}

/** The chain `islet serve` runs for each request, fed one outcome repeatedly in turns of 100. */
async function observerCost(): Promise<number> {
  const prices = defaultServeConfig(tmpdir()).cost;
  const metrics = new ServerMetrics(prices);
  const dashboard = new DashboardFeed({ prices });
  const tail = new TailHub();
  const log = new JsonLog(new BatchedLines(openSync('/dev/null', 'a')));
  const outcome: RequestOutcome = {
    worker: 'hello', version: 3, status: 200, admitted: true, durationMs: 0.41, cpuMs: 0.12, coldStartMs: -1, memoryMb: 128,
    failure: null, traceId: '4bf92f3577b34da6a3ce929d0e0e4736', method: 'GET', url: 'http://127.0.0.1:8787/hello/path?x=1', parentSpanId: null,
  };
  const turn = () => new Promise((resolve) => setImmediate(resolve));
  const run = async (n: number, observed: boolean) => {
    const before = process.cpuUsage();
    for (let i = 0; i < n; i += 100) {
      if (observed) {
        for (let j = 0; j < 100; j++) {
          outcome.durationMs = 0.4 + j * 0.001;
          metrics.requests.request(outcome); dashboard.request(outcome); tail.request(outcome); log.request(outcome);
        }
      }
      await turn();
    }
    await log.flush();
    const used = process.cpuUsage(before);
    return used.user + used.system;
  };
  await run(20_000, true);
  const samples: number[] = [];
  for (let i = 0; i < 3; i++) {
    const n = 100_000;
    const idle = await run(n, false);
    samples.push((await run(n, true) - idle) / n);
  }
  return median(samples);
}

async function start(variant: Variant, engines: number, dir: string): Promise<{ url: string; child: Child; stop(): Promise<void> }> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(dir, 'data-'));
  const child = startChild(process.execPath, [...NODE_FLAGS, join(here, 'servers', 'islet-serve-observability.ts')], {
    PORT: String(port), DATA_DIR: dataDir, ENGINES: String(engines), OBSERVABILITY: variant, LOG_FILE: join(dir, 'requests.log'),
  });
  const stop = async () => { await stopChild(child, 5_000); rmSync(dataDir, { recursive: true, force: true }); };
  const url = `http://127.0.0.1:${port}/`;
  await waitForPort(port, child);
  const response = await fetch(url);
  const body = await response.text();
  if (response.status !== 200 || body !== HELLO_BODY) { await stop(); throw new Error(`observability ${variant}: answered ${response.status} ${body}`); }
  return { url, child, stop };
}

export async function measureObservability(options: {
  generator: Generator; rounds: number; durationS: number; warmupS: number; connections: number; engines: readonly number[]; log: (line: string) => void;
}): Promise<ObservabilityReport> {
  const observersUsPerRequest = await observerCost();
  options.log(`observability: the observer chain alone takes ${observersUsPerRequest.toFixed(2)} µs of CPU per request`);
  const servers: ObservabilityResult[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'islet-bench-observability-'));
  try {
    for (const engines of options.engines) {
      const rounds: ObservabilityRound[] = [];
      const ratios: number[] = [];
      for (let round = 0; round < options.rounds; round++) {
        const order: Variant[] = round % 2 === 0 ? ['on', 'off'] : ['off', 'on'];
        const pair: Partial<Record<Variant, LoadResult>> = {};
        for (const variant of order) {
          const server = await start(variant, engines, dir);
          try {
            await runLoad(options.generator, server.url, { connections: options.connections, durationS: options.warmupS, threads: 1 });
            const cpuBefore = treeCpuMicros(server.child.pid);
            const result = await runLoad(options.generator, server.url, { connections: options.connections, durationS: options.durationS, threads: 1 });
            const cpuUsPerRequest = (treeCpuMicros(server.child.pid) - cpuBefore) / result.requests;
            pair[variant] = result;
            rounds.push({ variant, rps: result.rps, p50Ms: result.p50Ms, p99Ms: result.p99Ms, cpuUsPerRequest, errors: result.errors });
            options.log(`  engines ${engines} round ${round + 1}/${options.rounds} observability ${variant.padEnd(3)} ${result.rps.toFixed(0).padStart(7)} req/s  server CPU ${cpuUsPerRequest.toFixed(1)} µs/request`);
          } finally {
            await server.stop();
          }
        }
        ratios.push(pair.on!.rps / pair.off!.rps);
      }
      const of = (variant: Variant) => {
        const mine = rounds.filter((r) => r.variant === variant);
        return { rps: median(mine.map((r) => r.rps)), cpuUsPerRequest: median(mine.map((r) => r.cpuUsPerRequest)) };
      };
      const off = of('off');
      const on = of('on');
      servers.push({ engines, rounds, off, on, pairedRpsRatio: median(ratios), cpuRatio: on.cpuUsPerRequest / off.cpuUsPerRequest });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { observersUsPerRequest, servers };
}

const pct = (ratio: number) => `${ratio >= 1 ? '+' : ''}${((ratio - 1) * 100).toFixed(1)}%`;

export function renderObservability(report: ObservabilityReport): string {
  const lines = [
    'Observability overhead (metrics, dashboard history, tails, JSON request log; with vs without, alternating)',
    `  observer chain alone: ${report.observersUsPerRequest.toFixed(2)} µs CPU per request`,
  ];
  for (const s of report.servers) {
    lines.push(`  engines ${s.engines}: ${s.on.rps.toFixed(0)} vs ${s.off.rps.toFixed(0)} req/s (paired median ${pct(s.pairedRpsRatio)}); `
      + `server CPU ${s.on.cpuUsPerRequest.toFixed(1)} vs ${s.off.cpuUsPerRequest.toFixed(1)} µs/request (${pct(s.cpuRatio)}); `
      + `${s.rounds.length / 2} rounds`);
  }
  return lines.join('\n');
}
