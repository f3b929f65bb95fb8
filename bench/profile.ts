// Where an Islet process spends its CPU under the throughput load: a --cpu-prof of the server, reduced
// to the functions with the most self time and to coarse buckets (HTTP, host code, isolate calls, GC).
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { runLoad, type Generator, type LoadOptions } from './load.js';
import { startTarget } from './targets.js';

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileEntry { name: string; where: string; selfPct: number }
export interface ProfileResult { rps: number; totalMs: number; top: ProfileEntry[]; buckets: Record<string, number> }

function bucketOf(functionName: string, url: string): string {
  if (functionName === '(idle)') return 'idle';
  if (functionName === '(garbage collector)') return 'host GC';
  if (functionName === '(program)') return 'V8/native (program)';
  if (url.includes('/src/host/')) return 'islet host JS';
  if (url.includes('/node_modules/isolated-vm/') || (url === '' && /Sync$/.test(functionName))) return 'isolate calls (isolated-vm)';
  if (url.startsWith('node:')) return 'node internals (http, net, streams)';
  if (url === '') return 'other native';
  return 'other JS';
}

function summarise(profile: CpuProfile, topN: number): { totalMs: number; top: ProfileEntry[]; buckets: Record<string, number> } {
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const byFunction = new Map<string, ProfileEntry>();
  const buckets: Record<string, number> = {};
  for (const node of profile.nodes) {
    const us = selfUs.get(node.id) ?? 0;
    if (us === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const name = functionName || '(anonymous)';
    const file = url.startsWith('file://') ? relative(process.cwd(), new URL(url).pathname) : url;
    const where = file === '' ? '' : `${file}:${lineNumber + 1}`;
    const key = `${name} ${where}`;
    const entry = byFunction.get(key) ?? { name, where, selfPct: 0 };
    entry.selfPct += (us / total) * 100;
    byFunction.set(key, entry);
    const bucket = bucketOf(functionName, url);
    buckets[bucket] = (buckets[bucket] ?? 0) + (us / total) * 100;
  }
  const top = [...byFunction.values()].sort((a, b) => b.selfPct - a.selfPct).slice(0, topN);
  return { totalMs: total / 1000, top, buckets };
}

export async function profileIslet(generator: Generator, load: LoadOptions, topN = 15): Promise<ProfileResult> {
  const dir = mkdtempSync(join(tmpdir(), 'islet-bench-prof-'));
  try {
    const server = await startTarget('islet', ['--cpu-prof', '--cpu-prof-dir', dir]);
    let rps: number;
    try {
      rps = (await runLoad(generator, server.url, load)).rps;
    } finally {
      await server.stop();
    }
    const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    if (file === undefined) throw new Error('the Islet server wrote no CPU profile');
    return { rps, ...summarise(JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile, topN) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
