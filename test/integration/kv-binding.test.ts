// Workers KV end to end: tenant code calling env.KV in a real isolate, through the bridge, into SQLite.
// Expectations follow Cloudflare's documentation (developers.cloudflare.com/kv/api/) and, for error
// texts, the messages in src/host/bindings/kv/kv-limits.ts.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startWorker, type WorkerServer } from '../helpers/worker-server.js';
import { EVAL_WORKER, KV_OPTIONS, rejects, run } from './kv-harness.js';

let server: WorkerServer;
before(async () => { server = await startWorker(EVAL_WORKER, KV_OPTIONS); });
after(() => server.close());

describe('get', () => {
  test('text, json, arrayBuffer and stream, by type string or options object', async () => {
    const result = await run(server, `
      await env.KV.put('get:json', JSON.stringify({ a: [1, 'two'] }));
      const stream = await env.KV.get('get:json', 'stream');
      return {
        text: await env.KV.get('get:json'),
        textExplicit: await env.KV.get('get:json', 'text'),
        json: await env.KV.get('get:json', 'json'),
        jsonOptions: await env.KV.get('get:json', { type: 'json', cacheTtl: 60 }),
        arrayBuffer: [...new Uint8Array(await env.KV.get('get:json', { type: 'arrayBuffer' }))].length,
        isArrayBuffer: (await env.KV.get('get:json', 'arrayBuffer')) instanceof ArrayBuffer,
        isStream: stream instanceof ReadableStream,
        streamed: await new Response(stream).text(),
      };
    `);
    assert.deepEqual(result, {
      text: '{"a":[1,"two"]}', textExplicit: '{"a":[1,"two"]}', json: { a: [1, 'two'] }, jsonOptions: { a: [1, 'two'] },
      arrayBuffer: 15, isArrayBuffer: true, isStream: true, streamed: '{"a":[1,"two"]}',
    });
  });

  test('a missing key is null for every type', async () => {
    const result = await run(server, `
      return await Promise.all(['text', 'json', 'arrayBuffer', 'stream'].map((type) => env.KV.get('get:missing', { type })));
    `);
    assert.deepEqual(result, [null, null, null, null]);
  });

  test('cacheTtl is validated but otherwise accepted', async () => {
    assert.equal(await run(server, `await env.KV.put('get:ttl', 'v'); return env.KV.get('get:ttl', { cacheTtl: 3600 });`), 'v');
    await rejects(server, `return env.KV.get('get:ttl', { cacheTtl: 10 });`, 'Error',
      'KV GET failed: 400 Invalid cache_ttl of 10. Cache TTL must be at least 30.');
  });

  test('getWithMetadata returns value, metadata and cacheStatus', async () => {
    const result = await run(server, `
      await env.KV.put('gwm:with', 'v1', { metadata: { owner: 'ada', n: 1 } });
      await env.KV.put('gwm:without', 'v2');
      const json = await env.KV.getWithMetadata('gwm:with', 'json').catch((e) => e.constructor.name);
      return {
        with: await env.KV.getWithMetadata('gwm:with'),
        without: await env.KV.getWithMetadata('gwm:without', { type: 'text' }),
        missing: await env.KV.getWithMetadata('gwm:missing'),
        bytes: new TextDecoder().decode((await env.KV.getWithMetadata('gwm:with', 'arrayBuffer')).value),
        json,
      };
    `);
    assert.deepEqual(result, {
      with: { value: 'v1', metadata: { owner: 'ada', n: 1 }, cacheStatus: null },
      without: { value: 'v2', metadata: null, cacheStatus: null },
      missing: { value: null, metadata: null, cacheStatus: null },
      bytes: 'v1',
      json: 'SyntaxError',
    });
  });
});

describe('put', () => {
  test('string, ArrayBuffer, Uint8Array view and ReadableStream values store their bytes', async () => {
    const result = await run(server, `
      const whole = new Uint8Array([0, 1, 2, 3, 250, 251, 252, 253]);
      await env.KV.put('put:string', 'héllo ✓');
      await env.KV.put('put:arraybuffer', whole.buffer);
      await env.KV.put('put:view', whole.subarray(2, 5));
      await env.KV.put('put:stream', new ReadableStream({ start(c) {
        c.enqueue(new Uint8Array([104, 105])); c.enqueue(new Uint8Array([33])); c.close();
      } }));
      await env.KV.put('put:empty', '');
      const bytes = async (key) => [...new Uint8Array(await env.KV.get(key, 'arrayBuffer'))];
      return {
        string: await env.KV.get('put:string'),
        arraybuffer: await bytes('put:arraybuffer'),
        view: await bytes('put:view'),
        stream: await env.KV.get('put:stream'),
        empty: await env.KV.get('put:empty'),
      };
    `);
    assert.deepEqual(result, {
      string: 'héllo ✓', arraybuffer: [0, 1, 2, 3, 250, 251, 252, 253], view: [2, 3, 250], stream: 'hi!', empty: '',
    });
  });

  test('a second put replaces value, metadata and expiration', async () => {
    const result = await run(server, `
      await env.KV.put('put:twice', 'one', { metadata: { v: 1 }, expirationTtl: 600 });
      await env.KV.put('put:twice', 'two');
      const { keys } = await env.KV.list({ prefix: 'put:twice' });
      return { value: await env.KV.get('put:twice'), keys };
    `);
    assert.deepEqual(result, { value: 'two', keys: [{ name: 'put:twice' }] });
  });

  test('expirationTtl and expiration come back as absolute seconds in list()', async () => {
    const started = Math.floor(Date.now() / 1000);
    const result = await run(server, `
      const at = Math.floor(Date.now() / 1000) + 3600;
      await env.KV.put('exp:ttl', 'v', { expirationTtl: 60 });
      await env.KV.put('exp:at', 'v', { expiration: at });
      return { at, keys: (await env.KV.list({ prefix: 'exp:' })).keys };
    `) as { at: number; keys: { name: string; expiration: number }[] };
    const finished = Math.floor(Date.now() / 1000);
    assert.deepEqual(result.keys.map((k) => k.name), ['exp:at', 'exp:ttl']);
    assert.equal(result.keys[0]!.expiration, result.at);
    const ttl = result.keys[1]!.expiration;
    assert.ok(ttl >= started + 60 && ttl <= finished + 60, `expiration ${ttl} is not now + 60 (${started}..${finished})`);
  });

  test('an entry whose expiration has passed is invisible to get, getWithMetadata and list', async () => {
    // The binding's clock is the wall clock, so the entry is written past its expiration directly.
    const past = Math.floor(Date.now() / 1000) - 5;
    server.islet.kvStore.put('ns1', 'exp:gone', { value: new TextEncoder().encode('stale'), expiration: past, metadata: null });
    const result = await run(server, `
      return {
        get: await env.KV.get('exp:gone'),
        meta: await env.KV.getWithMetadata('exp:gone'),
        listed: (await env.KV.list({ prefix: 'exp:gone' })).keys,
      };
    `);
    assert.deepEqual(result, { get: null, meta: { value: null, metadata: null, cacheStatus: null }, listed: [] });
  });

  test('metadata of any JSON type round-trips through list() and getWithMetadata()', async () => {
    const result = await run(server, `
      const values = { obj: { nested: { list: [1, null, 'x'] } }, num: 42, str: 'text', arr: [true, false], zero: 0 };
      for (const [name, metadata] of Object.entries(values)) await env.KV.put('meta:' + name, '', { metadata });
      await env.KV.put('meta:null', '', { metadata: null });
      const { keys } = await env.KV.list({ prefix: 'meta:' });
      return { keys, one: (await env.KV.getWithMetadata('meta:obj')).metadata };
    `);
    assert.deepEqual(result, {
      keys: [
        { name: 'meta:arr', metadata: [true, false] },
        { name: 'meta:null' },
        { name: 'meta:num', metadata: 42 },
        { name: 'meta:obj', metadata: { nested: { list: [1, null, 'x'] } } },
        { name: 'meta:str', metadata: 'text' },
        { name: 'meta:zero', metadata: 0 },
      ],
      one: { nested: { list: [1, null, 'x'] } },
    });
  });
});

describe('delete', () => {
  test('removes the key; deleting a missing key succeeds', async () => {
    const result = await run(server, `
      await env.KV.put('del:a', 'v', { metadata: { m: 1 } });
      const before = await env.KV.get('del:a');
      const returned = await env.KV.delete('del:a');
      await env.KV.delete('del:never-existed');
      return { before, returned: returned === undefined, after: await env.KV.get('del:a'), listed: (await env.KV.list({ prefix: 'del:' })).keys };
    `);
    assert.deepEqual(result, { before: 'v', returned: true, after: null, listed: [] });
  });
});

describe('list', () => {
  // Code-point order and UTF-16 order disagree on these; UTF-8 byte order is what KV documents.
  const names = ['page:a', 'page:B', 'page:b', 'page:é', 'page:\u{1F600}', 'page:\uFF61', 'page:a/1', 'page:a0', 'page:z'];
  const byteOrder = [...names].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));

  before(async () => {
    await run(server, `for (const name of ${JSON.stringify(names)}) await env.KV.put(name, 'v'); await env.KV.put('pagf', 'outside');`);
  });

  test('prefix selects keys in UTF-8 byte order; a complete page has no cursor', async () => {
    const result = await run(server, `return env.KV.list({ prefix: 'page:' });`) as Record<string, unknown>;
    assert.deepEqual(result, { keys: byteOrder.map((name) => ({ name })), list_complete: true, cacheStatus: null });
  });

  test('limit and cursor visit every key exactly once, in order', async () => {
    const pages = await run(server, `
      const pages = [];
      let cursor;
      do {
        const page = await env.KV.list({ prefix: 'page:', limit: 2, cursor });
        pages.push({ names: page.keys.map((k) => k.name), complete: page.list_complete, cursor: page.cursor });
        cursor = page.cursor;
      } while (!pages.at(-1).complete && pages.length < 20);
      return pages;
    `) as { names: string[]; complete: boolean; cursor?: string }[];
    assert.deepEqual(pages.flatMap((p) => p.names), byteOrder);
    assert.equal(pages.length, Math.ceil(names.length / 2));
    for (const page of pages.slice(0, -1)) {
      assert.equal(page.complete, false);
      assert.equal(typeof page.cursor, 'string');
      assert.equal(page.names.length, 2);
    }
    assert.equal(pages.at(-1)!.complete, true);
    assert.equal(pages.at(-1)!.cursor, undefined);
  });

  test('without a prefix every key is listed; a limit above 1000 is refused', async () => {
    const all = await run(server, `return (await env.KV.list()).keys.map((k) => k.name);`) as string[];
    assert.ok(byteOrder.every((name) => all.includes(name)) && all.includes('pagf'));
    assert.deepEqual(all, [...all].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y))));
    await rejects(server, `return env.KV.list({ limit: 1001 });`, 'Error',
      'KV GET failed: 400 Invalid key_count_limit of 1001. Please specify an integer less than 1000.');
    await rejects(server, `return env.KV.list({ cursor: 'not a cursor' });`, 'Error', 'KV GET failed: 400 Invalid cursor');
  });
});

describe('bulk get', () => {
  test('an array of keys resolves to a Map, with null for missing keys', async () => {
    const result = await run(server, `
      await env.KV.put('bulk:a', 'A', { metadata: { m: 'a' } });
      await env.KV.put('bulk:b', '{"n":2}');
      const text = await env.KV.get(['bulk:a', 'bulk:missing', 'bulk:b']);
      const json = await env.KV.get(['bulk:b'], 'json');
      const meta = await env.KV.getWithMetadata(['bulk:a', 'bulk:b', 'bulk:missing'], { type: 'text' });
      return { isMap: text instanceof Map, text: [...text], json: [...json], meta: [...meta] };
    `);
    assert.deepEqual(result, {
      isMap: true,
      text: [['bulk:a', 'A'], ['bulk:missing', null], ['bulk:b', '{"n":2}']],
      json: [['bulk:b', { n: 2 }]],
      meta: [['bulk:a', { value: 'A', metadata: { m: 'a' } }], ['bulk:b', { value: '{"n":2}', metadata: null }], ['bulk:missing', null]],
    });
  });

  test('bulk reads take text or json only, 1 to 100 keys, and json values must parse', async () => {
    await rejects(server, `return env.KV.get(['bulk:a'], 'arrayBuffer');`, 'Error',
      'KV GET_BULK failed: 400 "arrayBuffer" is not a valid type. Use "json" or "text"');
    await rejects(server, `return env.KV.get(Array.from({ length: 101 }, (_, i) => 'k' + i));`, 'Error',
      'KV GET_BULK failed: 400 You can request a maximum of 100 keys');
    await rejects(server, `return env.KV.get([]);`, 'Error', 'KV GET_BULK failed: 400 You must request a minimum of 1 key');
    await rejects(server, `return env.KV.get(['bulk:a'], 'json');`, 'Error',
      'KV GET_BULK failed: 400 At least one of the requested keys corresponds to a non-json value');
    await rejects(server, `return env.KV.get(['k'.repeat(513)]);`, 'Error',
      'KV GET_BULK failed: 414 UTF-8 encoded length of 513 exceeds key length limit of 512.');
  });
});

test('the binding exposes exactly the documented methods and nothing of the host', async () => {
  const result = await run(server, `
    const proto = Object.getPrototypeOf(env.KV);
    return { methods: Object.getOwnPropertyNames(proto).sort(), own: Object.getOwnPropertyNames(env.KV), tag: String(env.KV) };
  `);
  assert.deepEqual(result, {
    methods: ['constructor', 'delete', 'get', 'getWithMetadata', 'list', 'put'], own: [], tag: '[object KvNamespace]',
  });
});
