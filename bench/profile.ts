// Where an Islet process spends its CPU under the throughput load: a CPU profile of the server taken
// over the load window only, reduced to the functions with the most self time and to coarse buckets.
// Time spent executing inside tenant isolates shows up as self time of the host function that made
// the synchronous call (SandboxIsolate.call): the profiler sees only the host's own isolate.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { runLoad, type Generator, type LoadOptions } from './load.js';
import { startTarget, type Running } from './targets.js';

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileEntry { name: string; where: string; selfPct: number }
export interface ProfileResult { rps: number; totalMs: number; top: ProfileEntry[]; buckets: Record<string, number> }

const SOCKET_NATIVES = new Set(['writev', 'writeBuffer', 'writeUtf8String', 'writeLatin1String', 'writeAsciiString', 'shutdown', 'close', 'onStreamRead']);

function bucketOf(functionName: string, url: string): string {
  if (functionName === '(idle)') return 'idle';
  if (functionName === '(garbage collector)') return 'host GC';
  if (functionName === '(program)') return 'V8/native (program)';
  if (url.includes('/src/host/')) return 'islet host JS';
  if (url.includes('/node_modules/isolated-vm/') || (url === '' && /Sync$/.test(functionName))) return 'isolate calls (isolated-vm)';
  if (url.startsWith('node:')) return 'node internals (http, net, streams)';
  if (url === '' && SOCKET_NATIVES.has(functionName)) return 'socket syscalls (writev, ...)';
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
    // Under tsx every function reports line 1; a file name alone then says as much.
    const where = file === '' ? '' : lineNumber > 0 ? `${file}:${lineNumber + 1}` : file;
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

async function untilProfiling(server: Running): Promise<void> {
  const stdout = server.child.proc.stdout!;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the Islet server did not start profiling')), 10_000);
    const onData = (chunk: Buffer) => {
      if (!chunk.toString().includes('profiling')) return;
      clearTimeout(timer);
      stdout.off('data', onData);
      resolve();
    };
    stdout.on('data', onData);
    process.kill(server.child.pid, 'SIGUSR2');
  });
}

export async function profileIslet(generator: Generator, load: LoadOptions & { warmupS: number }, topN = 15): Promise<ProfileResult> {
  const dir = mkdtempSync(join(tmpdir(), 'islet-bench-prof-'));
  const file = join(dir, 'islet.cpuprofile');
  try {
    const server = await startTarget('islet', { CPU_PROFILE: file });
    let rps: number;
    try {
      await runLoad(generator, server.url, { ...load, durationS: load.warmupS });
      await untilProfiling(server);
      rps = (await runLoad(generator, server.url, load)).rps;
    } finally {
      await server.stop();
    }
    if (!existsSync(file)) throw new Error('the Islet server wrote no CPU profile');
    return { rps, ...summarise(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, topN) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
