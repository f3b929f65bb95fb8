// The summary table: measured figures next to the floors the project must not fall below and the
// goals it is aiming for.
import type { ColdStartResult } from './cold-start.js';
import type { MemoryResult } from './memory.js';
import type { ProfileResult } from './profile.js';
import type { TargetThroughput } from './throughput.js';
import type { TargetName } from './targets.js';

export interface Check {
  what: string;
  value: number;
  unit: string;
  floor: number | null;
  goal: number;
  /** Whether bigger is better. */
  higher: boolean;
}

export interface BenchResults {
  meta: Record<string, unknown>;
  throughput: Partial<Record<TargetName, TargetThroughput>> | null;
  /** serveOverIslet: `islet serve` (worker in an engine process) against Islet in one process. */
  ratios: { isletOverNode: number | null; isletOverWorkerd: number | null; serveOverIslet: number | null };
  coldStart: ColdStartResult[];
  memory: MemoryResult | null;
  profile: ProfileResult | null;
  checks: (Check & { floorMet: boolean | null; goalMet: boolean })[];
  notes: string[];
}

const meets = (value: number, bound: number, higher: boolean) => (higher ? value >= bound : value <= bound);

export function judge(checks: Check[]): BenchResults['checks'] {
  return checks.map((c) => ({
    ...c,
    floorMet: c.floor === null ? null : meets(c.value, c.floor, c.higher),
    goalMet: meets(c.value, c.goal, c.higher),
  }));
}

const f = (n: number | undefined | null, digits = 2) => (n === undefined || n === null || Number.isNaN(n) ? '-' : n.toFixed(digits));

function table(rows: string[][], align: ('l' | 'r')[]): string {
  const widths = align.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => '  ' + r.map((cell, i) => (align[i] === 'l' ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('   ')).join('\n');
}

export function render(results: BenchResults): string {
  const out: string[] = [];
  const m = results.meta;
  out.push(`Islet bench  ${String(m.date)}  node ${String(m.node)}  ${String(m.cpus)} CPUs  load avg ${String(m.loadAvgStart)} -> ${String(m.loadAvgEnd)}`);

  if (results.throughput !== null) {
    out.push('', `Warm hello-world throughput (${String(m.load)}; median of ${String(m.rounds)} alternating rounds)`);
    const rows = [['server', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'runs (req/s)']];
    for (const [name, t] of Object.entries(results.throughput)) {
      rows.push([name, f(t.rps, 0), f(t.p50Ms), f(t.p99Ms), String(t.errors), t.runs.map((r) => r.rps.toFixed(0)).join(' / ')]);
    }
    out.push(table(rows, ['l', 'r', 'r', 'r', 'r', 'l']));
    out.push(`  islet/node ${f(results.ratios.isletOverNode)}x   islet/workerd ${f(results.ratios.isletOverWorkerd)}x   islet-serve/islet ${f(results.ratios.serveOverIslet)}x`);
  }

  if (results.coldStart.length > 0) {
    out.push('', 'Cold start, ms (distinct workers one at a time, warm-up excluded)');
    const rows = [['spares', 'workers', 'measure', 'p50', 'p99', 'mean']];
    for (const c of results.coldStart) {
      const label = c.spares === 'default' ? 'default' : String(c.spares);
      const lines: [string, ColdStartResult[keyof ColdStartResult]][] = [
        ['onColdStart (isolate + module)', c.coldStart],
        ['first response, in-host', c.firstResponse],
        ['  second response, in-host', c.warmResponse],
        ['first response, HTTP e2e', c.httpFirst],
        ['  second response, HTTP e2e', c.httpWarm],
        ['isolate boot (runtime eval)', c.isolateBoot],
      ];
      lines.forEach(([what, s], i) => {
        const summary = s as { p50: number; p99: number; mean: number };
        rows.push([i === 0 ? label : '', i === 0 ? String(c.workers) : '', what, f(summary.p50), f(summary.p99), f(summary.mean)]);
      });
    }
    out.push(table(rows, ['l', 'r', 'l', 'r', 'r', 'r']));
  }

  if (results.memory !== null) {
    const mem = results.memory;
    out.push('', `Memory, ${mem.workers} resident idle hello workers (no spares${mem.gcExposed ? ', after gc()' : ', gc() unavailable'})`);
    out.push(table([
      ['RSS before / after', `${f(mem.rssBeforeMb, 1)} / ${f(mem.rssAfterMb, 1)} MB`],
      ['RSS added per isolate', `${f(mem.rssPerIsolateMb)} MB`],
      ['V8 heap used per isolate', `${f(mem.heapUsedPerIsolateMb)} MB`],
      ['V8 heap committed per isolate', `${f(mem.heapTotalPerIsolateMb)} MB`],
      ['host heap per worker', `${f(mem.hostHeapPerWorkerKb, 1)} KB`],
      ['load time per worker', `${f(mem.loadMsPerWorker)} ms`],
    ], ['l', 'r']));
  }

  if (results.profile !== null) {
    const p = results.profile;
    out.push('', `Where the Islet process spends CPU under load (${f(p.totalMs / 1000, 1)} s profiled, ${f(p.rps, 0)} req/s while profiling)`);
    out.push(table(Object.entries(p.buckets).sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, `${f(v, 1)}%`]), ['l', 'r']));
    out.push('  top self time:');
    out.push(table(p.top.map((e) => [`${f(e.selfPct, 1)}%`, e.name, e.where]), ['r', 'l', 'l']));
  }

  out.push('', 'Checks');
  const rows = [['what', 'value', 'floor', 'goal', 'floor met', 'goal met']];
  for (const c of results.checks) {
    const cmp = c.higher ? '>=' : '<=';
    rows.push([c.what, `${f(c.value)} ${c.unit}`, c.floor === null ? '-' : `${cmp} ${c.floor}`, `${cmp} ${c.goal}`,
      c.floorMet === null ? '-' : c.floorMet ? 'yes' : 'NO', c.goalMet ? 'yes' : 'no']);
  }
  out.push(table(rows, ['l', 'r', 'r', 'r', 'r', 'r']));
  for (const note of results.notes) out.push(`  note: ${note}`);
  return out.join('\n');
}
