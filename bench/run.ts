// `npm run bench`: throughput against node:http and workerd, cold starts, memory per isolate and a
// CPU profile, in one bounded run; prints the summary and writes bench/results/latest.json.
//   --rounds N --duration S --warmup S --connections N --cold N --isolates N
//   --density N --density-many M --density-cap C (workers; resident cap per engine) --engines K
//   --skip throughput,serve,cold,memory,profile,streams,density,observability,bindings,workerd     --quick (a fast smoke run)
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { measureColdStart, type ColdStartResult } from './cold-start.js';
import { pickGenerator } from './load.js';
import { measureMemory } from './memory.js';
import { profileIslet } from './profile.js';
import { judge, render, type BenchResults, type Check } from './report.js';
import { workerdAvailable } from './servers/workerd.js';
import { measureDensity, renderDensity, type DensityResult } from './density.js';
import { measureStreams, renderStreams, type StreamsResult } from './streams.js';
import { measureObservability, renderObservability, type ObservabilityReport } from './observability.js';
import { measureBindings, renderBindings, type BindingFigures } from './bindings.js';
import { measureThroughput } from './throughput.js';
import type { TargetName } from './targets.js';

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    rounds: { type: 'string' }, duration: { type: 'string' }, warmup: { type: 'string' },
    connections: { type: 'string' }, cold: { type: 'string' }, isolates: { type: 'string' },
    skip: { type: 'string', default: '' }, quick: { type: 'boolean', default: false },
    density: { type: 'string' }, 'density-many': { type: 'string' }, 'density-cap': { type: 'string' }, engines: { type: 'string' },
  },
});
const quick = values.quick;
const num = (given: string | undefined, normal: number, fast: number) => (given !== undefined ? Number(given) : quick ? fast : normal);
const rounds = num(values.rounds, 3, 1);
const durationS = num(values.duration, 10, 3);
const warmupS = num(values.warmup, 2, 1);
const connections = num(values.connections, 50, 50);
const coldPerMode = num(values.cold, 200, 25);
const isolates = num(values.isolates, 500, 100);
const skip = new Set(values.skip.split(',').filter(Boolean));

const log = (line: string) => process.stderr.write(line + '\n');
const load1 = () => loadavg().map((l) => l.toFixed(2)).join(' ');
const notes: string[] = [];
const generator = pickGenerator();
// One wrk thread leaves the other core to the server; two would compete with it for the same CPUs.
const loadOptions = { connections, durationS, threads: 1 };
const workerd = skip.has('workerd') ? { missing: 'skipped' } : workerdAvailable();
if ('missing' in workerd) notes.push(`workerd not compared: ${workerd.missing}`);

let commit = 'unknown';
try { commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: here, encoding: 'utf8' }).trim(); } catch { /* not a checkout */ }
const meta: Record<string, unknown> = {
  date: new Date().toISOString(), commit, node: process.version, cpus: availableParallelism(), loadAvgStart: load1(),
  generator, load: `${generator} ${generator === 'wrk' ? '-t1 ' : ''}-c${connections}, ${durationS} s after ${warmupS} s warm-up`,
  rounds, workerd: 'version' in workerd ? workerd.version : null,
};
const started = performance.now();

let throughput: BenchResults['throughput'] = null;
if (!skip.has('throughput')) {
  const targets: TargetName[] = ['node', 'islet', ...(skip.has('serve') ? [] : ['islet-serve' as const]), ...('version' in workerd ? ['workerd' as const] : [])];
  log(`throughput: ${targets.join(', ')} x ${rounds} rounds with ${generator}`);
  throughput = await measureThroughput({ ...loadOptions, generator, rounds, warmupS, targets, log });
}

const coldStart: ColdStartResult[] = [];
if (!skip.has('cold')) {
  for (const spares of ['default', 0] as const) {
    log(`cold start: ${coldPerMode * 2} distinct workers, spares ${spares}`);
    coldStart.push(await measureColdStart(spares, coldPerMode));
  }
}

let memory: BenchResults['memory'] = null;
if (!skip.has('memory')) {
  log(`memory: ${isolates} resident isolates`);
  memory = await measureMemory(isolates);
}

let profile: BenchResults['profile'] = null;
if (!skip.has('profile')) {
  log('profile: Islet under load, CPU profile of the load window');
  profile = await profileIslet(generator, { ...loadOptions, warmupS, durationS: Math.min(durationS, 8) });
}

let streams: StreamsResult | null = null;
if (!skip.has('streams')) {
  const streamMb = quick ? 16 : 64;
  log(`streams: ${streamMb} MiB through a TransformStream, SHA-256 digests and subrequests, worker vs Node side by side`);
  streams = await measureStreams({ streamMb, rounds: quick ? 5 : 31, samples: quick ? 30 : 200 });
}

let density: DensityResult | null = null;
if (!skip.has('density')) {
  density = await measureDensity({
    workers: num(values.density, 1000, 200),
    many: num(values['density-many'], 10_000, 0),
    cap: num(values['density-cap'], 1000, 100),
    engines: num(values.engines, availableParallelism(), 2),
    log,
  });
}

let observability: ObservabilityReport | null = null;
if (!skip.has('observability')) {
  log('observability: islet serve with and without its observers, side by side');
  // islet serve's default (an engine process per core), and everything in one process, where a
  // request costs least and so what observing it costs shows most.
  observability = await measureObservability({
    generator, rounds: quick ? 3 : 10, durationS: quick ? 1 : 2, warmupS, connections, engines: quick ? [availableParallelism()] : [availableParallelism(), 0], log,
  });
}

let bindings: BindingFigures[] | null = null;
if (!skip.has('bindings')) {
  log('bindings: Durable Objects, WebSockets, Analytics Engine, Cache API, Queues');
  bindings = await measureBindings({ quick, log });
}

meta.loadAvgEnd = load1();
meta.seconds = Math.round((performance.now() - started) / 1000);

const islet = throughput?.islet?.rps;
const ratio = (other: number | undefined) => (islet !== undefined && other !== undefined ? islet / other : null);
const ratios = { isletOverNode: ratio(throughput?.node?.rps), isletOverWorkerd: ratio(throughput?.workerd?.rps), serveOverIslet: throughput?.['islet-serve'] !== undefined && islet !== undefined ? throughput['islet-serve'].rps / islet : null };

const checks: Check[] = [];
if (ratios.isletOverNode !== null) checks.push({ what: 'throughput islet / node:http', value: ratios.isletOverNode, unit: 'x', floor: 0.5, goal: 1, higher: true });
if (ratios.isletOverWorkerd !== null) checks.push({ what: 'throughput islet / workerd', value: ratios.isletOverWorkerd, unit: 'x', floor: null, goal: 2, higher: true });
for (const c of coldStart) {
  checks.push({ what: `cold start p50, first response in-host (spares ${c.spares})`, value: c.firstResponse.p50, unit: 'ms', floor: 10, goal: 3, higher: false });
}
if (memory !== null) checks.push({ what: 'RSS per idle isolate', value: memory.rssPerIsolateMb, unit: 'MB', floor: 4, goal: 2, higher: false });
for (const s of observability?.servers ?? []) {
  // The 5% floor is for what Islet spends, as `islet serve` runs by default; in one process, and with
  // the log stored on this machine's disk, the figures are reported against the same goal.
  const floor = s.engines === 0 ? null : 5;
  checks.push({ what: `observability cost, throughput (engines ${s.engines})`, value: (1 - s.on.rpsRatio) * 100, unit: '%', floor, goal: 5, higher: false });
  checks.push({ what: `observability cost, server CPU per request (engines ${s.engines})`, value: (s.on.cpuRatio - 1) * 100, unit: '%', floor, goal: 5, higher: false });
  checks.push({ what: `observability cost with the log on disk, throughput (engines ${s.engines})`, value: (1 - s.onFile.rpsRatio) * 100, unit: '%', floor: null, goal: 5, higher: false });
  checks.push({ what: `observability cost, 1 in 10 request lines, throughput (engines ${s.engines})`, value: (1 - s.onSampled.rpsRatio) * 100, unit: '%', floor: null, goal: 5, higher: false });
}

const results: BenchResults = { meta, throughput, ratios, coldStart, memory, profile, checks: judge(checks), notes };
mkdirSync(join(here, 'results'), { recursive: true });
writeFileSync(join(here, 'results', 'latest.json'), JSON.stringify({ ...results, streams, density, observability, bindings }, null, 2) + '\n');
process.stdout.write('\n' + render(results) + (streams === null ? '' : '\n' + renderStreams(streams)) + (density === null ? '' : '\n' + renderDensity(density)) + (observability === null ? '' : '\n' + renderObservability(observability)) + (bindings === null ? '' : '\n' + renderBindings(bindings)) + `\n\n(${String(meta.seconds)} s; full results in bench/results/latest.json)\n`);
