// The Cache API from inside real isolates, on a real SQLite file, over real HTTP: what a worker sees,
// checked against Cloudflare's documentation of cache.put / match / delete.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { evalInWorker, startWorker } from '../helpers/worker-server.js';

const run = (body: string) => evalInWorker(body) as Promise<any>;

describe('caches.default and caches.open', () => {
  test('put then match gives back status, headers and the exact body bytes, marked HIT', async () => {
    const result = await run(`
      const bytes = new Uint8Array(256); for (let i = 0; i < 256; i++) bytes[i] = i;
      await caches.default.put('https://example.com/bin', new Response(bytes, {
        status: 203, statusText: 'Kept', headers: { 'cache-control': 'max-age=600', 'content-type': 'application/x-test', 'x-custom': 'a, b' },
      }));
      const hit = await caches.default.match('https://example.com/bin');
      const got = new Uint8Array(await hit.arrayBuffer());
      return {
        status: hit.status, statusText: hit.statusText, type: hit.headers.get('content-type'), custom: hit.headers.get('x-custom'),
        status_header: hit.headers.get('cf-cache-status'), age: hit.headers.get('age'), length: hit.headers.get('content-length'),
        same: got.length === 256 && got.every((b, i) => b === i), isResponse: hit instanceof Response,
        tag: Object.prototype.toString.call(caches), open: Object.prototype.toString.call(await caches.open('x')),
      };
    `);
    assert.deepEqual(result, {
      status: 203, statusText: 'Kept', type: 'application/x-test', custom: 'a, b', status_header: 'HIT', age: '0', length: '256',
      same: true, isResponse: true, tag: '[object CacheStorage]', open: '[object Cache]',
    });
  });

  test('a Request key and a string key are the same URL; the fragment is not part of it', async () => {
    const result = await run(`
      await caches.default.put(new Request('https://example.com/k?q=1#frag'), new Response('v', { headers: { 'cache-control': 'max-age=60' } }));
      return [await (await caches.default.match('https://example.com/k?q=1'))?.text(), await caches.default.match('https://example.com/k?q=2') === undefined];
    `);
    assert.deepEqual(result, ['v', true]);
  });

  test('streamed bodies are stored whole, and a put response is used up at once', async () => {
    const result = await run(`
      const enc = new TextEncoder();
      const stream = new ReadableStream({ start(c) { c.enqueue(enc.encode('chunk-1,')); c.enqueue(enc.encode('chunk-2')); c.close(); } });
      const response = new Response(stream, { headers: { 'cache-control': 'max-age=60' } });
      const put = caches.default.put('https://example.com/s', response);
      const usedAtOnce = response.bodyUsed;
      await put;
      return [usedAtOnce, await (await caches.default.match('https://example.com/s')).text()];
    `);
    assert.deepEqual(result, [true, 'chunk-1,chunk-2']);
  });

  test('named caches are separate from each other and from caches.default', async () => {
    const result = await run(`
      const a = await caches.open('a'), b = await caches.open('b'), named = await caches.open('default');
      await a.put('https://example.com/', new Response('in a', { headers: { 'cache-control': 'max-age=60' } }));
      await caches.default.put('https://example.com/', new Response('in default', { headers: { 'cache-control': 'max-age=60' } }));
      const again = await caches.open('a');
      return [await (await again.match('https://example.com/')).text(), await b.match('https://example.com/') === undefined,
        await (await caches.default.match('https://example.com/')).text(), await named.match('https://example.com/') === undefined];
    `);
    assert.deepEqual(result, ['in a', true, 'in default', true]);
  });

  test('delete returns true for a stored entry, then false', async () => {
    const result = await run(`
      await caches.default.put('https://example.com/d', new Response('x', { headers: { 'cache-control': 'max-age=60' } }));
      return [await caches.default.delete('https://example.com/d'), await caches.default.delete('https://example.com/d'),
        await caches.default.match('https://example.com/d') === undefined];
    `);
    assert.deepEqual(result, [true, false, true]);
  });
});

describe('what put() refuses or drops', () => {
  test('TypeErrors for a non-GET request, a 206, Vary: * and a used body, with workerd\'s messages', async () => {
    const result = await run(`
      const attempt = async (request, response) => { try { await caches.default.put(request, response); return 'stored'; } catch (e) { return e.constructor.name + ': ' + e.message; } };
      const used = new Response('x'); await used.text();
      return [
        await attempt(new Request('https://example.com/', { method: 'POST', body: 'b' }), new Response('x')),
        await attempt('https://example.com/', new Response('x', { status: 206 })),
        await attempt('https://example.com/', new Response('x', { headers: { vary: 'Accept-Encoding, *' } })),
        await attempt('https://example.com/', used),
        await attempt('https://example.com/', Response.error()),
        await attempt('not a url', new Response('x')),
        await attempt('ftp://example.com/file', new Response('x', { headers: { 'cache-control': 'max-age=60' } })),
      ];
    `);
    assert.deepEqual(result, [
      'TypeError: Cannot cache response to non-GET request.',
      'TypeError: Cannot cache response to a range request (206 Partial Content).',
      "TypeError: Cannot cache response with 'Vary: *' header.",
      'TypeError: Body has already been used. It can only be used once. Use tee() first if you need to read it twice.',
      'TypeError: Cache is unable to store an error response',
      'TypeError: Invalid URL: not a url',
      'TypeError: Invalid URL. Cache API keys must be fully-qualified, valid URLs.',
    ]);
  });

  test('no-store, private, Set-Cookie and 304 resolve but store nothing; private=Set-Cookie stores without the cookie', async () => {
    const result = await run(`
      const put = (path, init) => caches.default.put('https://example.com/' + path, new Response(init.status === 304 ? null : 'x', init));
      await put('no-store', { headers: { 'cache-control': 'no-store, max-age=60' } });
      await put('private', { headers: { 'cache-control': 'private, max-age=60' } });
      await put('cookie', { headers: { 'cache-control': 'max-age=60', 'set-cookie': 'id=1' } });
      await put('not-modified', { status: 304, headers: { 'cache-control': 'max-age=60' } });
      await put('no-ttl-500', { status: 500 });
      await put('stripped', { headers: { 'cache-control': 'max-age=60, private=Set-Cookie', 'set-cookie': 'id=1', 'x-kept': '1' } });
      const out = {};
      for (const path of ['no-store', 'private', 'cookie', 'not-modified', 'no-ttl-500']) out[path] = await caches.default.match('https://example.com/' + path);
      const stripped = await caches.default.match('https://example.com/stripped');
      out.stripped = [stripped.headers.get('set-cookie'), stripped.headers.get('x-kept')];
      return out;
    `);
    assert.deepEqual(result, { stripped: [null, '1'] }, 'undefined entries vanish in JSON: only the stripped entry was stored');
  });
});

describe('match()', () => {
  test('only GET is looked up unless ignoreMethod; delete of a POST is false', async () => {
    const result = await run(`
      await caches.default.put('https://example.com/m', new Response('x', { headers: { 'cache-control': 'max-age=60' } }));
      const post = new Request('https://example.com/m', { method: 'POST' });
      const head = new Request('https://example.com/m', { method: 'HEAD' });
      return [await caches.default.match(post) === undefined, await caches.default.match(head) === undefined,
        (await caches.default.match(post, { ignoreMethod: true }))?.status, await caches.default.delete(post)];
    `);
    assert.deepEqual(result, [true, true, 200, false]);
  });

  test('unsupported query options and methods throw, as workerd does', async () => {
    const result = await run(`
      const errors = [];
      for (const call of [() => caches.default.match('https://example.com/', { ignoreSearch: true }), () => caches.default.matchAll(),
        () => caches.default.keys(), () => caches.default.add('https://example.com/'), () => new Cache(), () => caches.open('n'.repeat(1024))]) {
        try { await call(); errors.push('no error'); } catch (e) { errors.push(e.constructor.name); }
      }
      return errors;
    `);
    assert.deepEqual(result, ['TypeError', 'TypeError', 'TypeError', 'TypeError', 'TypeError', 'TypeError']);
  });

  test('If-None-Match with the stored ETag gives 304 with no body; If-Modified-Since too', async () => {
    const result = await run(`
      await caches.default.put('https://example.com/e', new Response('body', { headers: {
        'cache-control': 'max-age=60', etag: '"abc"', 'last-modified': 'Tue, 31 Dec 2024 12:00:00 GMT' } }));
      const etag = await caches.default.match(new Request('https://example.com/e', { headers: { 'if-none-match': 'W/"abc"' } }));
      const since = await caches.default.match(new Request('https://example.com/e', { headers: { 'if-modified-since': 'Wed, 01 Jan 2025 00:00:00 GMT' } }));
      const changed = await caches.default.match(new Request('https://example.com/e', { headers: { 'if-none-match': '"other"' } }));
      return [etag.status, etag.body, etag.headers.get('etag'), since.status, changed.status, await changed.text()];
    `);
    assert.deepEqual(result, [304, null, '"abc"', 304, 200, 'body']);
  });

  test('a Range request gives 206 Partial Content with Content-Range', async () => {
    const result = await run(`
      await caches.default.put('https://example.com/r', new Response('0123456789', { headers: { 'cache-control': 'max-age=60' } }));
      const part = await caches.default.match(new Request('https://example.com/r', { headers: { range: 'bytes=2-5' } }));
      const beyond = await caches.default.match(new Request('https://example.com/r', { headers: { range: 'bytes=20-' } }));
      return [part.status, part.headers.get('content-range'), await part.text(), beyond.status, beyond.headers.get('content-range')];
    `);
    assert.deepEqual(result, [206, 'bytes 2-5/10', '2345', 416, 'bytes */10']);
  });

  test('an entry expires after its max-age, and s-maxage wins over max-age', { timeout: 20_000 }, async () => {
    const result = await run(`
      await caches.default.put('https://example.com/short', new Response('x', { headers: { 'cache-control': 'max-age=1' } }));
      await caches.default.put('https://example.com/shared', new Response('x', { headers: { 'cache-control': 'max-age=600, s-maxage=1' } }));
      await caches.default.put('https://example.com/long', new Response('x', { headers: { 'cache-control': 'max-age=600' } }));
      const before = [!!await caches.default.match('https://example.com/short'), !!await caches.default.match('https://example.com/shared')];
      await new Promise((resolve) => setTimeout(resolve, 1100));
      return [...before, await caches.default.match('https://example.com/short'), await caches.default.match('https://example.com/shared'),
        (await caches.default.match('https://example.com/long'))?.headers.get('age')];
    `);
    assert.equal(result[0], true);
    assert.equal(result[1], true);
    assert.equal(result[2], null, 'max-age=1 has expired (undefined serializes as null)');
    assert.equal(result[3], null, 's-maxage=1 wins over max-age=600');
    assert.equal(result[4], '1', 'the long-lived entry shows its age');
  });
});

describe('a hit as the response', () => {
  test('reaches the client intact, whole or as a range, with its HIT headers', async () => {
    const server = await startWorker(`export default { async fetch(request) {
      const key = 'https://example.com/page';
      const hit = await caches.default.match(new Request(key, { headers: request.headers }));
      if (hit) return hit;
      await caches.default.put(key, new Response('0123456789', { headers: { 'cache-control': 'max-age=60', 'content-type': 'text/plain', etag: '"p1"' } }));
      return new Response('miss');
    } }`);
    try {
      assert.equal(await (await server.fetch('/')).text(), 'miss');
      let whole = await server.fetch('/');
      for (let i = 0; i < 50 && (await whole.clone().text()) === 'miss'; i++) whole = await server.fetch('/');
      assert.equal(whole.status, 200);
      assert.equal(await whole.text(), '0123456789');
      assert.equal(whole.headers.get('cf-cache-status'), 'HIT');
      assert.equal(whole.headers.get('content-length'), '10');
      assert.equal(whole.headers.get('etag'), '"p1"');
      const part = await server.fetch('/', { headers: { range: 'bytes=-4' } });
      assert.equal(part.status, 206);
      assert.equal(part.headers.get('content-range'), 'bytes 6-9/10');
      assert.equal(await part.text(), '6789');
      const revalidated = await server.fetch('/', { headers: { 'if-none-match': '"p1"' } });
      assert.equal(revalidated.status, 304);
      assert.equal(await revalidated.text(), '');
    } finally {
      await server.close();
    }
  });

  test('cache calls share the per-request subrequest limit (50)', async () => {
    const result = await run(`
      let calls = 0, error = null;
      try { for (; calls < 60; calls++) await caches.default.match('https://example.com/x'); } catch (e) { error = e.message; }
      return [calls, error];
    `);
    assert.deepEqual(result, [50, 'Too many subrequests.']);
  });
});

describe('persistence and sharing', () => {
  test('entries survive a restart of the host on the same data directory', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'islet-cache-restart-'));
    const code = `export default { async fetch(request) {
      const url = new URL(request.url);
      if (url.pathname === '/put') { await caches.default.put('https://example.com/p', new Response('persisted', { headers: { 'cache-control': 'max-age=600' } })); return new Response('ok'); }
      const hit = await caches.default.match('https://example.com/p');
      return new Response(hit ? await hit.text() : 'miss');
    } }`;
    try {
      const first = await startWorker(code, {}, { dataDir });
      assert.equal(await (await first.fetch('/put')).text(), 'ok');
      // The write is deferred until after the call that made it; give it a turn to land.
      await new Promise((resolve) => setTimeout(resolve, 50));
      await first.close();
      const second = await startWorker(code, {}, { dataDir });
      try {
        assert.equal(await (await second.fetch('/get')).text(), 'persisted');
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('a subrequest response can be put and matched, and under islet dev each worker has its own cache', async () => {
    const origin = createServer((_req, res) => { res.writeHead(200, { 'cache-control': 'max-age=60', 'content-type': 'text/plain' }); res.end('from origin'); });
    await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
    const port = (origin.address() as { port: number }).port;
    const code = (name: string) => `export default { async fetch(request) {
      const url = new URL(request.url);
      if (url.pathname.endsWith('/put')) { await caches.default.put('https://example.com/o', await fetch('http://127.0.0.1:${port}/')); return new Response('${name} put'); }
      const hit = await caches.default.match('https://example.com/o');
      return new Response(hit ? hit.headers.get('content-type') + ' ' + await hit.text() : 'miss');
    } }`;
    const { startWorkers } = await import('../helpers/worker-server.js');
    const server = await startWorkers([{ name: 'one', code: code('one') }, { name: 'two', code: code('two') }], { egress: { allow: ['127.0.0.1/32'] } });
    try {
      assert.equal(await (await server.fetch('/one/put')).text(), 'one put');
      assert.equal(await (await server.fetch('/one/get')).text(), 'text/plain from origin');
      assert.equal(await (await server.fetch('/two/get')).text(), 'miss');
    } finally {
      await server.close();
      origin.close();
    }
  });
});
