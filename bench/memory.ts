// Memory per resident idle isolate, measured in a fresh process so nothing else the bench did is in it.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lastJsonLine, runChild } from './child.js';
import { NODE_FLAGS } from './targets.js';

const here = dirname(fileURLToPath(import.meta.url));

export interface MemoryResult {
  workers: number;
  gcExposed: boolean;
  rssBeforeMb: number;
  rssAfterMb: number;
  /** (RSS after - RSS before) / workers. */
  rssPerIsolateMb: number;
  /** sandbox.heapUsedBytes(): V8 heap in use plus external memory, per isolate. */
  heapUsedPerIsolateMb: number;
  /** V8 heap committed per isolate, used or not. */
  heapTotalPerIsolateMb: number;
  /** What each worker costs on the host's own heap (ResidentWorker, references, caches). */
  hostHeapPerWorkerKb: number;
  loadMsPerWorker: number;
}

export async function measureMemory(count: number): Promise<MemoryResult> {
  const script = join(here, 'probes', 'memory-probe.ts');
  const stdout = await runChild(process.execPath, ['--expose-gc', ...NODE_FLAGS, script], 120_000, { COUNT: String(count) });
  return lastJsonLine<MemoryResult>(stdout);
}
