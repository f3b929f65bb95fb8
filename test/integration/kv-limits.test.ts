// Workers KV limits, durability and concurrency, end to end through a worker. Error texts are the ones
// in src/host/bindings/kv/kv-limits.ts (Cloudflare's own); a refused call must store nothing.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startWorker, type WorkerServer } from '../helpers/worker-server.js';
import { EVAL_WORKER, KV_OPTIONS, rejects, run } from './kv-harness.js';

let server: WorkerServer;
before(async () => { server = await startWorker(EVAL_WORKER, KV_OPTIONS); });
after(() => server.close());

describe('limits', () => {
  const nothingStored = async (prefix: string) => {
    assert.deepEqual(await run(server, `return (await env.KV.list({ prefix: '${prefix}' })).keys;`), []);
  };

  test('a key over 512 bytes is refused for put, get and delete', async () => {
    const key = `'lim:' + 'k'.repeat(509)`; // 513 bytes
    await rejects(server, `return env.KV.put(${key}, 'v');`, 'Error',
      'KV PUT failed: 414 UTF-8 encoded length of 513 exceeds key length limit of 512.');
    await rejects(server, `return env.KV.get(${key});`, 'Error',
      'KV GET failed: 414 UTF-8 encoded length of 513 exceeds key length limit of 512.');
    await rejects(server, `return env.KV.delete(${key});`, 'Error',
      'KV DELETE failed: 414 UTF-8 encoded length of 513 exceeds key length limit of 512.');
    // Exactly 512 bytes, counted in UTF-8: two-byte characters.
    assert.equal(await run(server, `const k = 'lim:' + 'é'.repeat(254); await env.KV.put(k, 'ok'); const v = await env.KV.get(k); await env.KV.delete(k); return v;`), 'ok');
    await nothingStored('lim:k');
  });

  test('a value over 25 MiB is refused, whatever its form', async () => {
    const message = `KV PUT failed: 413 Value length of ${25 * 1024 * 1024 + 1} exceeds limit of ${25 * 1024 * 1024}.`;
    await rejects(server, `return env.KV.put('lim:big', new Uint8Array(25 * 1024 * 1024 + 1));`, 'Error', message);
    await rejects(server, `return env.KV.put('lim:big', 'x'.repeat(25 * 1024 * 1024 + 1));`, 'Error', message);
    await nothingStored('lim:big');
    await rejects(server, `
      const chunk = new Uint8Array(1024 * 1024);
      let sent = 0;
      return env.KV.put('lim:big', new ReadableStream({ pull(c) { if (sent++ < 26) c.enqueue(chunk); else c.close(); } }));
    `, 'Error', `KV PUT failed: 413 Value length of ${26 * 1024 * 1024} exceeds limit of ${25 * 1024 * 1024}.`);
    await nothingStored('lim:big');
    // Exactly 25 MiB is accepted.
    assert.equal(await run(server, `await env.KV.put('lim:max', new Uint8Array(25 * 1024 * 1024)); const n = (await env.KV.get('lim:max', 'arrayBuffer')).byteLength; await env.KV.delete('lim:max'); return n;`), 25 * 1024 * 1024);
  });

  test('metadata over 1024 bytes of JSON is refused', async () => {
    await rejects(server, `return env.KV.put('lim:meta', 'v', { metadata: 'm'.repeat(1023) });`, 'Error',
      'KV PUT failed: 413 Metadata length of 1025 exceeds limit of 1024.');
    await nothingStored('lim:meta');
    assert.equal(await run(server, `await env.KV.put('lim:meta', 'v', { metadata: 'm'.repeat(1022) }); const m = (await env.KV.getWithMetadata('lim:meta')).metadata.length; await env.KV.delete('lim:meta'); return m;`), 1022);
  });

  test('expirationTtl under 60 and expiration in the past are refused', async () => {
    await rejects(server, `return env.KV.put('lim:ttl', 'v', { expirationTtl: 59 });`, 'Error',
      'KV PUT failed: 400 Invalid expiration_ttl of 59. Expiration TTL must be at least 60.');
    await rejects(server, `return env.KV.put('lim:ttl', 'v', { expiration: 1000 });`, 'Error',
      'KV PUT failed: 400 Invalid expiration of 1000. Please specify integer greater than the current number of seconds since the UNIX epoch.');
    await nothingStored('lim:ttl');
  });

  test('the 1,001st KV operation of one invocation is refused, as on Workers', async () => {
    await rejects(server, `for (let i = 0; i < 1001; i++) await env.KV.get('ops:' + i); return 'all ran';`, 'Error',
      'Too many API requests by single worker invocation.');
    // The budget is per invocation: the next request starts again from zero.
    assert.equal(await run(server, `for (let i = 0; i < 1000; i++) await env.KV.get('ops:' + i); return 'all ran';`), 'all ran');
  });

  test('invalid keys and values are TypeErrors', async () => {
    await rejects(server, `return env.KV.put('', 'v');`, 'TypeError', 'Key name cannot be empty.');
    await rejects(server, `return env.KV.get('..');`, 'TypeError', '".." is not allowed as a key name.');
    await rejects(server, `return env.KV.put('lim:obj', { not: 'a value' });`, 'TypeError',
      'KV put() accepts only strings, ArrayBuffers, ArrayBufferViews, and ReadableStreams as values.');
    await nothingStored('lim:obj');
  });
});

describe('durability and concurrency', () => {
  test('data survives a host restart on the same data directory', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'islet-kv-restart-'));
    try {
      const first = await startWorker(EVAL_WORKER, KV_OPTIONS, { dataDir });
      await run(first, `await env.KV.put('durable', 'kept', { metadata: { v: 1 }, expirationTtl: 3600 }); await env.KV.put('gone', 'x'); await env.KV.delete('gone');`);
      await first.close();
      const second = await startWorker(EVAL_WORKER, KV_OPTIONS, { dataDir });
      try {
        const result = await run(second, `return { kept: await env.KV.getWithMetadata('durable'), gone: await env.KV.get('gone'), names: (await env.KV.list()).keys.map((k) => k.name) };`);
        assert.deepEqual(result, { kept: { value: 'kept', metadata: { v: 1 }, cacheStatus: null }, gone: null, names: ['durable'] });
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('50 concurrent requests, each incrementing its own key, all land', async () => {
    const increment = (i: number) => `const key = 'count:' + ${i}; const n = Number(await env.KV.get(key) ?? 0); await env.KV.put(key, String(n + 1)); return n + 1;`;
    for (let round = 1; round <= 2; round++) {
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) => run(server, increment(i))));
      assert.deepEqual(results, Array(50).fill(round));
    }
    const listed = await run(server, `return (await env.KV.list({ prefix: 'count:' })).keys.length;`);
    assert.equal(listed, 50);
    const values = await run(server, `return Promise.all(Array.from({ length: 50 }, (_, i) => env.KV.get('count:' + i)));`);
    assert.deepEqual(values, Array(50).fill('2'));
  });

  test('a namespace is only visible to workers bound to it', async () => {
    const other = await startWorker(EVAL_WORKER, { kvNamespaces: [{ binding: 'KV', id: 'ns2' }] }, { dataDir: server.dataDir });
    try {
      assert.deepEqual(await run(other, `return { keys: (await env.KV.list()).keys, get: await env.KV.get('durable') ?? await env.KV.get('put:string') };`), { keys: [], get: null });
    } finally {
      await other.close();
    }
  });
});
