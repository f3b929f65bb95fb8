// The `observability` section: what metrics, the dashboard's history, tails and the JSON request log
// cost warm hello-world requests, with versus without, on `islet serve`'s real server. On a shared
// machine two processes started alike differ by several percent (where their memory landed, what the
// JIT made of them), more than what is being measured, so servers are not compared with each other:
// each server is loaded observing and not observing in turn (switched inside the process), and its
// ratio is the figure. Two servers of each variant run side by side, rounds load each in turn for a
// short while, the order rotating, so that whatever the machine is doing falls on all of them alike;
// the median of the ratios is reported. Three figures, from least to most sensitive to a noisy machine:
// - the observers' own CPU per request, timed in this process (the chain every request goes through);
// - the servers' CPU per request (each process and its engines, from /proc);
// - throughput, as the median of the servers' observing / not observing ratios.
// What observing costs per second rather than per request (the dashboard's sampling, Prometheus
// scrapes) is included only as far as the scrape each second while observing goes.
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

/**
 * Servers of three kinds, each measured with observing on against itself with observing off. on: the
 * request log's lines formatted and written to /dev/null, which is what Islet itself spends. on+file:
 * the log appended to a file on this machine's disk, which adds what the kernel spends storing it
 * (where the log goes is the operator's choice). on+sampled: `request_log_sampling = 0.1`.
 */
type Variant = 'on' | 'on+file' | 'on+sampled';
const VARIANTS: readonly Variant[] = ['on', 'on+file', 'on+sampled'];
type State = 'off' | 'on';
const perVariant = <T>(make: () => T): Record<Variant, T> => ({ 'on': make(), 'on+file': make(), 'on+sampled': make() });

export interface ObservabilityRound { variant: Variant; observing: State; rps: number; p50Ms: number; p99Ms: number; cpuUsPerRequest: number; errors: number }

export interface ObservabilityResult {
  engines: number;
  rounds: ObservabilityRound[];
  /** The `on` servers with observing off: the baseline. */
  off: { rps: number; cpuUsPerRequest: number };
  on: VariantFigures;
  onFile: VariantFigures;
  onSampled: VariantFigures;
}

export interface VariantFigures {
  /** Median throughput of one server, observing. */
  rps: number;
  cpuUsPerRequest: number;
  /** Median over rounds and servers of throughput observing / not observing: 0.97 is 3% fewer requests per second. */
  rpsRatio: number;
  /** CPU per request, observing / not, over all rounds. */
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

interface Running { variant: Variant; url: string; control: string; child: Child; stop(): Promise<void> }

async function start(variant: Variant, engines: number, dir: string): Promise<Running> {
  const port = await freePort();
  const controlPort = await freePort();
  const dataDir = mkdtempSync(join(dir, 'data-'));
  const child = startChild(process.execPath, [...NODE_FLAGS, join(here, 'servers', 'islet-serve-observability.ts')], {
    PORT: String(port), CONTROL_PORT: String(controlPort), DATA_DIR: dataDir, ENGINES: String(engines),
    LOG_FILE: variant === 'on+file' ? join(dir, `requests-${port}.log`) : '/dev/null', REQUEST_LOG_SAMPLING: variant === 'on+sampled' ? '0.1' : '1',
  });
  const stop = async () => { await stopChild(child, 5_000); rmSync(dataDir, { recursive: true, force: true }); };
  const url = `http://127.0.0.1:${port}/`;
  await waitForPort(port, child);
  await waitForPort(controlPort, child);
  // `islet serve` listens before the bench's deploy of hello-world is done: until then it answers 404.
  for (let tries = 0; ; tries++) {
    const response = await fetch(url);
    const body = await response.text();
    if (response.status === 200 && body === HELLO_BODY) break;
    if (response.status !== 404 || tries === 100) { await stop(); throw new Error(`observability ${variant}: answered ${response.status} ${body}`); }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { variant, url, control: `http://127.0.0.1:${controlPort}`, child, stop };
}

async function observe(server: Running, state: State): Promise<void> {
  const answer = await (await fetch(`${server.control}/${state}`)).text();
  if (answer !== state) throw new Error(`observability ${server.variant}: asked to turn observing ${state}, it is ${answer}`);
}

/** Servers of each variant, so that no one process's luck decides the result. */
const PER_VARIANT = 2;

export async function measureObservability(options: {
  generator: Generator; rounds: number; durationS: number; warmupS: number; connections: number; engines: readonly number[]; log: (line: string) => void;
}): Promise<ObservabilityReport> {
  const observersUsPerRequest = await observerCost();
  options.log(`observability: the observer chain alone takes ${observersUsPerRequest.toFixed(2)} µs of CPU per request`);
  const servers: ObservabilityResult[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'islet-bench-observability-'));
  const load = (url: string, durationS: number) => runLoad(options.generator, url, { connections: options.connections, durationS, threads: 1 });
  try {
    for (const engines of options.engines) {
      const running: Running[] = [];
      try {
        for (let i = 0; i < PER_VARIANT; i++) for (const variant of VARIANTS) running.push(await start(variant, engines, dir));
        for (const server of running) {
          for (const state of ['on', 'off'] as const) { await observe(server, state); await load(server.url, Math.max(1, Math.round(options.warmupS / 2))); }
        }
        const rounds: ObservabilityRound[] = [];
        const ratios = perVariant((): number[] => []);
        const cpu = perVariant(() => ({ off: { micros: 0, requests: 0 }, on: { micros: 0, requests: 0 } }));
        for (let round = 0; round < options.rounds; round++) {
          const rps = perVariant(() => ({ off: 0, on: 0 }));
          for (let k = 0; k < running.length; k++) {
            const server = running[(round + k) % running.length]!;
            // Off first in one round, on first in the next: neither always meets a machine just woken.
            const states: State[] = (round + k) % 2 === 0 ? ['off', 'on'] : ['on', 'off'];
            const got = { off: 0, on: 0 };
            for (const state of states) {
              await observe(server, state);
              const cpuBefore = treeCpuMicros(server.child.pid);
              const result = await load(server.url, options.durationS);
              const micros = treeCpuMicros(server.child.pid) - cpuBefore;
              cpu[server.variant][state].micros += micros;
              cpu[server.variant][state].requests += result.requests;
              got[state] = result.rps;
              rps[server.variant][state] += result.rps;
              rounds.push({ variant: server.variant, observing: state, rps: result.rps, p50Ms: result.p50Ms, p99Ms: result.p99Ms, cpuUsPerRequest: micros / result.requests, errors: result.errors });
            }
            ratios[server.variant].push(got.on / got.off);
          }
          options.log(`  engines ${engines} round ${round + 1}/${options.rounds}: per server, observing / not: `
            + VARIANTS.map((v) => `${v} ${(rps[v].on / PER_VARIANT).toFixed(0)} / ${(rps[v].off / PER_VARIANT).toFixed(0)} req/s (${pct(rps[v].on / rps[v].off)})`).join(', '));
        }
        const perRequest = (c: { micros: number; requests: number }) => c.micros / c.requests;
        const of = (variant: Variant): VariantFigures => ({
          rps: median(rounds.filter((r) => r.variant === variant && r.observing === 'on').map((r) => r.rps)),
          cpuUsPerRequest: perRequest(cpu[variant].on),
          rpsRatio: median(ratios[variant]),
          cpuRatio: perRequest(cpu[variant].on) / perRequest(cpu[variant].off),
        });
        const off = { rps: median(rounds.filter((r) => r.variant === 'on' && r.observing === 'off').map((r) => r.rps)), cpuUsPerRequest: perRequest(cpu.on.off) };
        servers.push({ engines, rounds, off, on: of('on'), onFile: of('on+file'), onSampled: of('on+sampled') });
      } finally {
        await Promise.all(running.map((server) => server.stop()));
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { observersUsPerRequest, servers };
}

const pct = (ratio: number) => `${ratio >= 1 ? '+' : ''}${((ratio - 1) * 100).toFixed(1)}%`;

export function renderObservability(report: ObservabilityReport): string {
  const lines = [
    'Observability overhead (metrics, dashboard history, tails, JSON request log; each server observing vs not, in turn)',
    `  observer chain alone: ${report.observersUsPerRequest.toFixed(2)} µs CPU per request`,
  ];
  const figures = (name: string, v: VariantFigures) => `${name} ${v.rps.toFixed(0)} req/s (median round ${pct(v.rpsRatio)}), `
    + `CPU ${v.cpuUsPerRequest.toFixed(1)} µs/request (${pct(v.cpuRatio)})`;
  for (const s of report.servers) {
    lines.push(`  engines ${s.engines}, ${s.rounds.length / (2 * VARIANTS.length * PER_VARIANT)} rounds of ${VARIANTS.length * PER_VARIANT} servers: `
      + `not observing ${s.off.rps.toFixed(0)} req/s, CPU ${s.off.cpuUsPerRequest.toFixed(1)} µs/request`);
    lines.push(`    ${figures('on (log to /dev/null)', s.on)}`);
    lines.push(`    ${figures('on (log to a file)', s.onFile)}`);
    lines.push(`    ${figures('on (1 in 10 request lines)', s.onSampled)}`);
  }
  return lines.join('\n');
}
