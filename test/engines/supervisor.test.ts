// Crash containment with real engine processes (two engines and a standby): an engine killed from
// outside or aborted by V8 under a tenant's Map is replaced, only its in-flight requests fail, the
// other engine and the dead engine's other tenants keep answering, and only the worker whose code was
// running when engines died is quarantined.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ENGINE_STOPPED, WARM_CRASHED } from '../../src/host/engines/engine-client.js';
import type { VersionSpec } from '../../src/host/engines/engine-protocol.js';
import { Supervisor, type SupervisorOptions } from '../../src/host/engines/supervisor.js';
import { MemoryLogSink } from '../../src/host/observability/log-sink.js';
import { SqliteKvStore } from '../../src/host/storage/kv/sqlite-kv-store.js';
import { bodyText, get, idInSlot, SLOW_WORKER, versionSpec, workerInSlot } from './engine-harness.js';

const ENGINES = 2;
const root = mkdtempSync(join(tmpdir(), 'islet-supervisor-'));
after(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;

interface Harness {
  supervisor: Supervisor;
  logs: MemoryLogSink;
  quarantined: [string, string][];
  dataDir: string;
}

async function withSupervisor(options: Partial<SupervisorOptions>, body: (h: Harness) => Promise<void>): Promise<void> {
  const logs = new MemoryLogSink();
  const quarantined: [string, string][] = [];
  const dataDir = join(root, `run-${++dirs}`);
  const supervisor = await Supervisor.start({
    engines: ENGINES, dataDir, log: logs, engineOutput: () => {},
    onQuarantine: (worker, reason) => quarantined.push([worker, reason]),
    ...options,
  });
  try {
    await body({ supervisor, logs, quarantined, dataDir });
  } finally {
    await supervisor.shutdown(0);
  }
}

function fixture(name: string): string {
  return readFileSync(new URL(`../fixtures/workers/${name}/index.js`, import.meta.url), 'utf8');
}

async function call(supervisor: Supervisor, spec: VersionSpec, path = '/'): Promise<{ status: number; text: string }> {
  const response = await supervisor.fetch(spec, get(path));
  return { status: response.status, text: bodyText(response.body) };
}

async function until(condition: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function inFlight(supervisor: Supervisor, slot: number): Promise<number> {
  return (await supervisor.stats())[slot]?.inFlight ?? 0;
}

function blamedWorkers(logs: MemoryLogSink): string[] {
  return [...new Set(logs.lines.filter((line) => line.level === 'platform' && line.message.includes('stopped')).map((line) => line.worker))];
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('kill -9 of an engine under load: only its in-flight requests fail, the other engine never notices, a replacement answers within a second', { timeout: 60_000 }, async () => {
  await withSupervisor({}, async ({ supervisor, logs, quarantined }) => {
    const victim = versionSpec(idInSlot('victim', 0, ENGINES), SLOW_WORKER);
    const bystander = versionSpec(idInSlot('bystander', 1, ENGINES), SLOW_WORKER);
    assert.equal((await supervisor.warm(victim)).ok, true);
    assert.equal((await supervisor.warm(bystander)).ok, true);
    const [before] = await supervisor.stats();

    let loading = true;
    const bystanderStatuses: number[] = [];
    const victimStatuses: number[] = [];
    // Stops at the first answer that is neither success nor the dead engine's 502, so a fast failure cannot spin.
    const load = async (spec: VersionSpec, into: number[]) => {
      while (loading && (into.length === 0 || into.at(-1) === 200 || into.at(-1) === 502)) into.push((await call(supervisor, spec)).status);
    };
    const loops = [load(bystander, bystanderStatuses), load(bystander, bystanderStatuses), load(victim, victimStatuses)];
    try {
      const slow = [1, 2, 3].map(() => call(supervisor, victim, '/?slow=5000'));
      await until(async () => (await inFlight(supervisor, 0)) >= 3, 'the slow requests to reach the engine');
      process.kill(before!.pid, 'SIGKILL');
      const killedAt = performance.now();

      for (const answer of await Promise.all(slow)) assert.deepEqual(answer, { status: 502, text: ENGINE_STOPPED });
      while ((await call(supervisor, victim)).status !== 200);
      const replacedInMs = performance.now() - killedAt;
      assert.ok(replacedInMs < 1_000, `the replacement answered ${Math.round(replacedInMs)} ms after the kill`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    } finally {
      loading = false;
      await Promise.all(loops);
    }
    assert.ok(bystanderStatuses.length > 10);
    assert.deepEqual(bystanderStatuses.filter((status) => status !== 200), []);
    assert.deepEqual(victimStatuses.filter((status) => status !== 200 && status !== 502), []);

    const [replaced, other] = await supervisor.stats();
    assert.equal(replaced?.up, true);
    assert.equal(replaced?.restarts, 1);
    assert.notEqual(replaced?.pid, before?.pid);
    assert.equal(other?.restarts, 0);
    assert.deepEqual(quarantined, [], 'a kill from outside is nobody\'s fault');
    assert.deepEqual(blamedWorkers(logs), []);
  });
});

test('a worker whose Map outgrows its memory aborts its engine; its neighbour in that engine keeps working and only it is quarantined, after 3 crashes', { timeout: 90_000 }, async () => {
  await withSupervisor({}, async ({ supervisor, logs, quarantined }) => {
    const limits = { memoryMb: 16, cpuMs: 10_000 };
    // The first crash comes from a deploy's warm-up (the Map grows at the module's top level), the
    // next two from requests.
    const hostile = workerInSlot('hostile', 0, ENGINES);
    const atLoad = versionSpec(idInSlot('hostile-load', 0, ENGINES), fixture('top-level-heap-bomb-hashtable'), { worker: hostile, limits });
    const onRequest = versionSpec(idInSlot('hostile', 0, ENGINES), fixture('heap-bomb-hashtable'), { worker: hostile, limits });
    const neighbour = versionSpec(idInSlot('neighbour', 0, ENGINES), SLOW_WORKER, { worker: workerInSlot('neighbour', 0, ENGINES) });

    for (let crash = 1; crash <= 3; crash++) {
      assert.equal((await call(supervisor, neighbour)).status, 200);
      const pid = (await supervisor.stats())[0]!.pid;
      const waiting = call(supervisor, neighbour, '/?slow=10000');
      await until(async () => (await inFlight(supervisor, 0)) >= 1, 'the neighbour\'s request to be in flight');

      if (crash === 1) assert.deepEqual(await supervisor.warm(atLoad), { ok: false, error: WARM_CRASHED });
      else assert.deepEqual(await call(supervisor, onRequest), { status: 502, text: ENGINE_STOPPED }, `crash ${crash}`);
      assert.equal((await waiting).status, 502, 'the neighbour\'s in-flight request was in the engine that died');
      assert.equal(isRunning(pid), false);
      assert.deepEqual(await call(supervisor, neighbour), { status: 200, text: 'ok 1' }, 'the neighbour answers from the replacement');
      assert.deepEqual(quarantined.map(([worker]) => worker), crash < 3 ? [] : [hostile]);
    }

    assert.match(quarantined[0]![1], /3 engines stopped/);
    assert.equal((await call(supervisor, onRequest)).status, 503, 'a quarantined worker is not run');
    assert.equal((await call(supervisor, neighbour)).status, 200);
    assert.deepEqual(blamedWorkers(logs), [hostile]);
    assert.equal((await supervisor.stats())[0]?.restarts, 3);
  });
});

test('shutdown lets an in-flight request finish and its waitUntil work run, then the engines exit', { timeout: 60_000 }, async () => {
  await withSupervisor({ standby: false }, async ({ supervisor, dataDir }) => {
    const spec = versionSpec('graceful', `export default { async fetch(request, env, ctx) {
      ctx.waitUntil(new Promise((resolve) => setTimeout(resolve, 300)).then(() => env.KV.put('waited', 'yes')));
      await new Promise((resolve) => setTimeout(resolve, 300));
      return new Response('finished');
    } };`, { kv: [{ binding: 'KV', storeNamespace: 'graceful' }] });
    const pids = (await supervisor.stats()).map((status) => status.pid);
    const answer = call(supervisor, spec);
    await until(async () => (await supervisor.stats()).some((status) => status.inFlight === 1), 'the request to be in flight');

    await supervisor.shutdown(5_000);
    assert.deepEqual(await answer, { status: 200, text: 'finished' });
    for (const pid of pids) assert.equal(isRunning(pid), false, `engine ${pid} exited`);
    assert.equal((await call(supervisor, spec)).status, 503, 'nothing is served after shutdown');
    const store = new SqliteKvStore(dataDir);
    try {
      assert.equal(Buffer.from(store.get('graceful', 'waited', Date.now() / 1000)!.value).toString(), 'yes');
    } finally {
      store.close();
    }
  });
});

test('engines exit when their supervisor dies', { timeout: 60_000 }, async () => {
  const script = `
    import { Supervisor } from ${JSON.stringify(new URL('../../src/host/engines/supervisor.ts', import.meta.url).href)};
    import { MemoryLogSink } from ${JSON.stringify(new URL('../../src/host/observability/log-sink.ts', import.meta.url).href)};
    const supervisor = await Supervisor.start({ engines: 1, dataDir: process.env.DATA_DIR, log: new MemoryLogSink(), engineOutput: () => {} });
    process.stdout.write(JSON.stringify((await supervisor.stats()).map((status) => status.pid)) + '\\n');
  `;
  const child = spawn(process.execPath, ['--no-node-snapshot', '--import', 'tsx', '--input-type=module', '-e', script], {
    env: { ...process.env, DATA_DIR: join(root, `orphans-${++dirs}`) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const [line] = (await once(child.stdout, 'data')) as [Buffer];
    const pids = JSON.parse(line.toString()) as number[];
    assert.equal(pids.length, 1);
    assert.equal(isRunning(pids[0]!), true);
    child.kill('SIGKILL');
    await until(async () => pids.every((pid) => !isRunning(pid)), 'the engines to exit');
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
});
