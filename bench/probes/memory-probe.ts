// Runs in a fresh process started with --expose-gc: makes many distinct hello workers resident and
// idle, and prints what each added to the process's RSS and what its own V8 heap holds.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Islet } from '../../src/host/islet.js';
import type { ResidentWorker } from '../../src/host/isolates/resident-worker.js';
import { MemoryLogSink } from '../../src/host/observability/log-sink.js';
import { distinctHelloModule } from '../hello.js';

const count = Number(process.env.COUNT ?? 500);
const gc = (globalThis as { gc?: () => void }).gc;

async function settledRss(): Promise<number> {
  for (let i = 0; i < 3; i++) { gc?.(); await sleep(100); }
  return process.memoryUsage.rss();
}

const dataDir = mkdtempSync(join(tmpdir(), 'islet-bench-mem-'));
// No spares: booted-but-unassigned isolates would be counted on one side of the difference only.
const islet = new Islet({ dataDir, log: new MemoryLogSink(), spareIsolates: 0 });

async function makeResident(id: number): Promise<ResidentWorker> {
  const worker = islet.createWorker({ name: `w${id}`, code: distinctHelloModule(id) });
  worker.warm();
  const response = await worker.fetch({ method: 'GET', url: 'http://bench/', headers: '', body: null, traceId: `t${id}` });
  if (response.status !== 200) throw new Error(`w${id} answered ${response.status}: ${String(response.body)}`);
  return worker;
}

// One worker before the baseline: the runtime's code cache and the host's own warm-up are paid once
// per process, not per isolate.
const first = await makeResident(-1);
const rssBefore = await settledRss();
const hostHeapBefore = process.memoryUsage().heapUsed;

const workers: ResidentWorker[] = [];
const started = performance.now();
for (let i = 0; i < count; i++) workers.push(await makeResident(i));
const loadMs = performance.now() - started;

const rssAfter = await settledRss();
const hostHeapAfter = process.memoryUsage().heapUsed;

let heapUsed = 0;
let heapTotal = 0;
for (const worker of workers) {
  const sandbox = worker.instance!.sandbox;
  heapUsed += sandbox.heapUsedBytes();
  heapTotal += sandbox.isolate.getHeapStatisticsSync().total_heap_size;
}

for (const worker of [first, ...workers]) worker.dispose();
islet.close();
rmSync(dataDir, { recursive: true, force: true });

const MB = 1024 * 1024;
process.stdout.write(JSON.stringify({
  workers: count,
  gcExposed: gc !== undefined,
  rssBeforeMb: rssBefore / MB,
  rssAfterMb: rssAfter / MB,
  rssPerIsolateMb: (rssAfter - rssBefore) / count / MB,
  heapUsedPerIsolateMb: heapUsed / count / MB,
  heapTotalPerIsolateMb: heapTotal / count / MB,
  hostHeapPerWorkerKb: (hostHeapAfter - hostHeapBefore) / count / 1024,
  loadMsPerWorker: loadMs / count,
}) + '\n');
