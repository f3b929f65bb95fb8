// The engine's logic in this process, spoken to in protocol messages as the supervisor would: specs,
// warm-up, requests, bounded residency with least-recently-used eviction, replacing and dropping
// versions, and draining on shutdown. Real isolates, real SQLite in a temp dir.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { transform } from 'esbuild';
import { EngineHost, type EngineOptions } from '../../src/host/engines/engine-host.js';
import type { EngineResponse, EngineStats, FromEngine, VersionSpec } from '../../src/host/engines/engine-protocol.js';
import { Supervisor } from '../../src/host/engines/supervisor.js';
import { MemoryLogSink } from '../../src/host/observability/log-sink.js';
import { SqliteKvStore } from '../../src/host/storage/kv/sqlite-kv-store.js';
import { bodyText, get, SLOW_WORKER, versionSpec } from './engine-harness.js';

const root = mkdtempSync(join(tmpdir(), 'islet-engine-host-'));
after(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;

type Response = { status: number; text: string; cpuMs: number; coldStartMs: number };

class Engine {
  readonly host: EngineHost;
  readonly messages: FromEngine[] = [];
  readonly dataDir = join(root, `engine-${++dirs}`);
  readonly #waiters: { match: (m: FromEngine) => boolean; resolve: (m: FromEngine) => void }[] = [];
  #seq = 0;

  constructor(options: Partial<EngineOptions> & { sampleMs?: number } = {}) {
    this.host = new EngineHost({
      dataDir: this.dataDir, egressAllow: [], spares: 1, maxResident: 100, maxResidentMb: 1024, ...options,
      send: (message) => {
        this.messages.push(message);
        const i = this.#waiters.findIndex((w) => w.match(message));
        if (i !== -1) this.#waiters.splice(i, 1)[0]!.resolve(message);
      },
    });
  }

  #next(match: (m: FromEngine) => boolean): Promise<FromEngine> {
    return new Promise((resolve) => this.#waiters.push({ match, resolve }));
  }

  define(spec: VersionSpec): void { this.host.handle({ t: 'spec', spec }); }

  async fetch(id: string, path = '/'): Promise<Response> {
    const seq = ++this.#seq;
    const request = get(path);
    const answer = this.#next((m) => m.t === 'res' && m.r[0] === seq);
    this.host.handle({ t: 'req', r: [seq, id, request.method, request.url, request.headers, null, request.traceId, 0] });
    const [, status, , , body, cpuMs, coldStartMs] = ((await answer) as { r: EngineResponse }).r;
    return { status, text: bodyText(body), cpuMs, coldStartMs };
  }

  async warm(id: string): Promise<{ ok: boolean; error: string | null }> {
    const seq = ++this.#seq;
    const answer = this.#next((m) => m.t === 'warmed' && m.seq === seq);
    this.host.handle({ t: 'warm', id, seq });
    return (await answer) as { ok: boolean; error: string | null };
  }

  async stats(): Promise<EngineStats> {
    const seq = ++this.#seq;
    const answer = this.#next((m) => m.t === 'stats' && m.seq === seq);
    this.host.handle({ t: 'stats', seq });
    return ((await answer) as { stats: EngineStats }).stats;
  }

  residentIds(stats: EngineStats): string[] {
    return stats.isolates.map((isolate) => isolate.id).sort();
  }
}

async function withEngine(options: Partial<EngineOptions> & { sampleMs?: number }, body: (engine: Engine) => Promise<void>): Promise<void> {
  const engine = new Engine(options);
  try {
    await body(engine);
  } finally {
    engine.host.close();
  }
}

describe('EngineHost', () => {
  test('runs a version from its spec: env, KV in the given store namespace, console lines with the trace id, cold start then warm', async () => {
    await withEngine({}, async (engine) => {
      engine.define(versionSpec('v1', `export default { async fetch(request, env) {
        console.log('hello from', env.GREETING);
        await env.CACHE.put('seen', request.url);
        return new Response(env.GREETING + ' ' + (await env.CACHE.get('seen')));
      } };`, { worker: 'greeter', vars: { GREETING: 'hi' }, kv: [{ binding: 'CACHE', storeNamespace: 'acme:cache' }] }));

      const first = await engine.fetch('v1', '/a');
      assert.equal(first.status, 200);
      assert.equal(first.text, 'hi https://tenant.example/a');
      assert.ok(first.coldStartMs >= 0, 'the first request creates the isolate');
      assert.ok(first.cpuMs > 0, 'running the handler costs CPU time');
      const second = await engine.fetch('v1', '/b');
      assert.equal(second.coldStartMs, -1, 'the second request finds the isolate warm');

      const log = engine.messages.find((m) => m.t === 'log');
      assert.deepEqual(log, { t: 'log', worker: 'greeter', traceId: log?.t === 'log' ? log.traceId : null, level: 2, message: 'hello from hi' });
      assert.match(String(log?.t === 'log' ? log.traceId : ''), /^trace-/);

      const store = new SqliteKvStore(engine.dataDir);
      try {
        const entry = store.get('acme:cache', 'seen', Date.now() / 1000);
        assert.equal(Buffer.from(entry!.value).toString(), 'https://tenant.example/b');
      } finally {
        store.close();
      }
    });
  });

  test('warm loads the module ahead of traffic, and reports a module that throws with the tenant\'s file and line', async () => {
    await withEngine({}, async (engine) => {
      engine.define(versionSpec('good', SLOW_WORKER));
      const warmed = await engine.warm('good');
      assert.equal(warmed.ok, true);
      assert.equal(warmed.error, null);
      assert.equal((await engine.fetch('good')).coldStartMs, -1, 'a warmed version takes its first request warm');

      // A TypeScript source compiled with a source map: the error names the source, not the bundle.
      const compiled = await transform('const limit: number = 3;\nif (limit > 2) {\n  throw new Error("bad config");\n}\nexport default {};\n', {
        loader: 'ts', format: 'esm', sourcemap: 'external', sourcefile: 'src/config.ts',
      });
      engine.define(versionSpec('bad', compiled.code, { filename: 'bundle.js', sourceMap: compiled.map }));
      const failed = await engine.warm('bad');
      assert.equal(failed.ok, false);
      assert.match(failed.error ?? '', /bad config/);
      assert.match(failed.error ?? '', /src\/config\.ts:3:/);
    });
  });

  test('keeps at most maxResident isolates, evicting the least recently used idle one; an evicted version starts cold', async () => {
    await withEngine({ maxResident: 2 }, async (engine) => {
      for (const id of ['a', 'b', 'c']) engine.define(versionSpec(id, SLOW_WORKER));
      assert.equal((await engine.fetch('a')).text, 'ok 1');
      assert.equal((await engine.fetch('b')).text, 'ok 1');
      assert.equal((await engine.fetch('a')).text, 'ok 2');
      const c = await engine.fetch('c');
      assert.ok(c.coldStartMs >= 0);
      // b was used less recently than a.
      assert.deepEqual(engine.residentIds(await engine.stats()), ['a', 'c']);

      const b = await engine.fetch('b');
      assert.ok(b.coldStartMs >= 0, 'b comes back with a cold start');
      assert.equal(b.text, 'ok 1', 'in a new isolate');
      assert.equal((await engine.fetch('c')).coldStartMs, -1, 'c, used more recently than a, stayed');
      assert.deepEqual(engine.residentIds(await engine.stats()), ['b', 'c']);
    });
  });

  test('never evicts an isolate with a request in flight', async () => {
    await withEngine({ maxResident: 1 }, async (engine) => {
      engine.define(versionSpec('busy', SLOW_WORKER));
      engine.define(versionSpec('other', SLOW_WORKER));
      const slow = engine.fetch('busy', '/?slow=300');
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal((await engine.fetch('other')).status, 200);
      const answered = await slow;
      assert.equal(answered.status, 200);
      assert.equal(answered.text, 'ok 1');
      assert.deepEqual(engine.residentIds(await engine.stats()), ['busy', 'other'], 'over the bound while busy');
      await engine.fetch('busy');
      engine.define(versionSpec('third', SLOW_WORKER));
      await engine.fetch('third');
      assert.deepEqual(engine.residentIds(await engine.stats()), ['third'], 'back under it once idle');
    });
  });

  test('evicts least recently used idle isolates while their sampled heaps exceed maxResidentMb', async () => {
    await withEngine({ maxResidentMb: 2, sampleMs: 50 }, async (engine) => {
      for (const id of ['old', 'new']) engine.define(versionSpec(id, SLOW_WORKER));
      await engine.fetch('old');
      await engine.fetch('new');
      // Each booted isolate holds more than 1 MB of heap, so two exceed 2 MB and one does not.
      let stats = await engine.stats();
      for (const isolate of stats.isolates) assert.ok(isolate.heapUsedBytes > 1024 * 1024 && isolate.heapUsedBytes < 2 * 1024 * 1024);
      for (let i = 0; i < 100 && stats.isolates.length > 1; i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        stats = await engine.stats();
      }
      assert.deepEqual(engine.residentIds(stats), ['new']);
      assert.ok((await engine.fetch('old')).coldStartMs >= 0);
    });
  });

  test('a replaced spec takes effect on the next request; a dropped version is no longer served', async () => {
    await withEngine({}, async (engine) => {
      const code = 'export default { fetch(request, env) { return new Response(env.SECRET) } };';
      engine.define(versionSpec('v', code, { vars: { SECRET: 'old' } }));
      assert.equal((await engine.fetch('v')).text, 'old');
      engine.define(versionSpec('v', code, { vars: { SECRET: 'new' } }));
      const next = await engine.fetch('v');
      assert.equal(next.text, 'new');
      assert.ok(next.coldStartMs >= 0, 'from a new isolate');

      // A request already running on the old spec finishes there.
      const slowCode = 'export default { async fetch(request, env) { await new Promise((r) => setTimeout(r, 200)); return new Response(env.SECRET) } };';
      engine.define(versionSpec('s', slowCode, { vars: { SECRET: 'before' } }));
      const running = engine.fetch('s');
      await new Promise((resolve) => setTimeout(resolve, 50));
      engine.define(versionSpec('s', slowCode, { vars: { SECRET: 'after' } }));
      assert.equal((await engine.fetch('s')).text, 'after');
      assert.deepEqual([(await running).status, (await running).text], [200, 'before']);

      engine.host.handle({ t: 'drop', id: 'v' });
      const dropped = await engine.fetch('v');
      assert.equal(dropped.status, 503);
      const stats = await engine.stats();
      assert.equal(stats.known, 1);
      assert.deepEqual(engine.residentIds(stats), ['s']);
    });
  });

  test('on shutdown, answers the request in flight and runs its waitUntil work before saying it is drained', async () => {
    await withEngine({}, async (engine) => {
      engine.define(versionSpec('w', `export default { async fetch(request, env, ctx) {
        ctx.waitUntil(new Promise((resolve) => setTimeout(resolve, 200)).then(() => env.KV.put('after', 'yes')));
        await new Promise((resolve) => setTimeout(resolve, 100));
        return new Response('answered');
      } };`, { kv: [{ binding: 'KV', storeNamespace: 'ns' }] }));
      const answer = engine.fetch('w');
      await new Promise((resolve) => setTimeout(resolve, 30));
      engine.host.handle({ t: 'shutdown', graceMs: 5_000 });
      assert.equal((await answer).text, 'answered');
      while (engine.messages.at(-1)?.t !== 'drained') await new Promise((resolve) => setTimeout(resolve, 10));
      const store = new SqliteKvStore(engine.dataDir);
      try {
        assert.equal(Buffer.from(store.get('ns', 'after', Date.now() / 1000)!.value).toString(), 'yes');
      } finally {
        store.close();
      }
    });
  });
});

describe('Supervisor with engines: 0', () => {
  test('serves from an engine in this process', async () => {
    const dataDir = join(root, 'in-process');
    const supervisor = await Supervisor.start({ engines: 0, dataDir, log: new MemoryLogSink() });
    try {
      const spec = versionSpec('local', SLOW_WORKER);
      assert.equal((await supervisor.warm(spec)).ok, true);
      const response = await supervisor.fetch(spec, get('/'));
      assert.equal(response.status, 200);
      assert.equal(response.body, 'ok 1');
      assert.equal(response.coldStartMs, -1);
      const [status] = await supervisor.stats();
      assert.equal(status?.pid, process.pid);
      assert.equal(status?.resident, 1);
    } finally {
      await supervisor.shutdown(1_000);
    }
  });
});
