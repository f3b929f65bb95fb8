// Response inside a real isolate, against https://fetch.spec.whatwg.org/#response-class.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { startWorker } from '../helpers/worker-server.js';
import { inIsolate } from './harness.js';

describe('Response', () => {
  test('defaults, and the status and statusText checks of the constructor', async () => {
    const r = await inIsolate(`
      const d = new Response();
      const status = (init, body = null) => { try { return new Response(body, init).status; } catch (e) { return describeError(e); } };
      return {
        defaults: [d.status, d.statusText, d.ok, d.type, d.url, d.redirected, d.body, d.bodyUsed, [...d.headers]],
        inRange: [200, 299, 404, 599].map((s) => status({ status: s })),
        outOfRange: [0, 100, 101, 199, 600, 1000].map((s) => status({ status: s })),
        // WebIDL unsigned short: ToNumber, truncate, modulo 2^16.
        converted: [status({ status: '201' }), status({ status: 404.9 }), status({ status: 65736 })],
        nullBodyStatuses: [204, 205, 304].map((s) => [status({ status: s }), status({ status: s }, 'x'), status({ status: s }, '')]),
        ok: [new Response(null, { status: 299 }).ok, new Response(null, { status: 300 }).ok, new Response(null, { status: 199 + 1 }).ok],
        statusText: new Response(null, { status: 418, statusText: "I'm a teapot" }).statusText,
        badStatusText: [thrown(() => new Response(null, { statusText: 'a\\nb' })), thrown(() => new Response(null, { statusText: '\\u0100' }))],
        badInit: thrown(() => new Response(null, 5)),
        toStringTag: Object.prototype.toString.call(d),
      };
    `);
    assert.deepEqual(r.defaults, [200, '', true, 'default', '', false, null, false, []]);
    assert.deepEqual(r.inRange, [200, 299, 404, 599]);
    assert.deepEqual(r.outOfRange, Array(6).fill('RangeError'));
    assert.deepEqual(r.converted, [201, 404, 200]);
    assert.deepEqual(r.nullBodyStatuses, [[204, 'TypeError', 'TypeError'], [205, 'TypeError', 'TypeError'], [304, 'TypeError', 'TypeError']]);
    assert.deepEqual(r.ok, [true, false, true]);
    assert.equal(r.statusText, "I'm a teapot");
    assert.deepEqual(r.badStatusText, ['TypeError', 'TypeError']);
    assert.equal(r.badInit, 'TypeError');
    assert.equal(r.toStringTag, '[object Response]');
  });

  test('Response.json serializes, sets application/json, and honours init', async () => {
    const r = await inIsolate(`
      const a = Response.json({ a: [1, 'x'] });
      const b = Response.json('s', { status: 201, statusText: 'Made', headers: { 'Content-Type': 'application/vnd.x+json', 'x-a': '1' } });
      return {
        a: [a.status, a.headers.get('content-type'), await a.text()],
        b: [b.status, b.statusText, b.headers.get('content-type'), b.headers.get('x-a'), await b.json()],
        undef: thrown(() => Response.json(undefined)), bigint: thrown(() => Response.json(1n)),
        nullStatus: thrown(() => Response.json({}, { status: 204 })), badStatus: thrown(() => Response.json({}, { status: 700 })),
      };
    `);
    assert.deepEqual(r.a, [200, 'application/json', '{"a":[1,"x"]}']);
    assert.deepEqual(r.b, [201, 'Made', 'application/vnd.x+json', '1', 's']);
    assert.deepEqual([r.undef, r.bigint, r.nullStatus, r.badStatus], ['TypeError', 'TypeError', 'TypeError', 'RangeError']);
  });

  test('Response.redirect validates its status and URL and sets Location; its headers are immutable', async () => {
    const r = await inIsolate(`
      const make = (url, status) => { try { const x = Response.redirect(url, status); return [x.status, x.headers.get('location'), x.body]; } catch (e) { return describeError(e); } };
      const res = Response.redirect('https://example.com/a b?q=ü');
      return {
        default: make('https://example.com/next'),
        serialized: res.headers.get('location'),
        statuses: [301, 302, 303, 307, 308].map((s) => make('https://x/', s)[0]),
        badStatuses: [200, 300, 304, 399].map((s) => make('https://x/', s)),
        badUrl: make('http://exa mple.com/'), relative: make('/relative'),
        immutable: thrown(() => res.headers.set('location', 'https://y/')),
      };
    `);
    assert.deepEqual(r.default, [302, 'https://example.com/next', null]);
    assert.equal(r.serialized, 'https://example.com/a%20b?q=%C3%BC');
    assert.deepEqual(r.statuses, [301, 302, 303, 307, 308]);
    assert.deepEqual(r.badStatuses, ['RangeError', 'RangeError', 'RangeError', 'RangeError']);
    assert.deepEqual([r.badUrl, r.relative, r.immutable], ['TypeError', 'TypeError', 'TypeError']);
  });

  test('Response.error is a network error with immutable headers', async () => {
    const r = await inIsolate(`
      const e = Response.error();
      return { v: [e.type, e.status, e.statusText, e.ok, e.body, [...e.headers]], immutable: thrown(() => e.headers.set('a', 'b')) };
    `);
    assert.deepEqual(r, { v: ['error', 0, '', false, null, []], immutable: 'TypeError' });
  });

  test('bodyUsed, and a second read rejects with TypeError', async () => {
    const r = await inIsolate(`
      const res = new Response('once');
      const before = res.bodyUsed;
      const text = await res.text();
      return { before, text, after: res.bodyUsed, second: await rejected(() => res.text()), secondBuffer: await rejected(() => res.arrayBuffer()),
        clone: thrown(() => res.clone()), bodyAfter: [res.body !== null, res.body && res.body.locked] };
    `);
    assert.deepEqual(r, { before: false, text: 'once', after: true, second: 'TypeError', secondBuffer: 'TypeError', clone: 'TypeError', bodyAfter: [true, true] });
  });

  test('clone keeps status and headers, and both bodies are readable, for string and stream bodies', async () => {
    const r = await inIsolate(`
      const a = new Response('body', { status: 201, statusText: 'C', headers: { 'x-a': '1' } });
      const b = a.clone();
      const stream = new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode('s1')); c.enqueue(new TextEncoder().encode('s2')); c.close(); } });
      const s = new Response(stream);
      const t = s.clone();
      const bytes = new Response(new Uint8Array([1, 2]));
      const bytesClone = bytes.clone();
      const buffer = await bytes.arrayBuffer();
      new Uint8Array(buffer)[0] = 9;
      return {
        meta: [b.status, b.statusText, b.headers.get('x-a'), b.headers !== a.headers],
        text: [await a.text(), await b.text()], stream: [await s.text(), await t.text()],
        bytesIndependent: Array.from(new Uint8Array(await bytesClone.arrayBuffer())),
      };
    `);
    assert.deepEqual(r, { meta: [201, 'C', '1', true], text: ['body', 'body'], stream: ['s1s2', 's1s2'], bytesIndependent: [1, 2] });
  });

  test('body is a ReadableStream of the bytes, and reading it marks the body used', async () => {
    const r = await inIsolate(`
      const res = new Response('h\\u00e9');
      const body = res.body;
      const same = res.body === body;
      const reader = body.getReader();
      const usedBeforeRead = res.bodyUsed;
      const chunks = [];
      for (;;) { const { done, value } = await reader.read(); if (done) break; chunks.push(...value); }
      const locked = new ReadableStream();
      locked.getReader();
      return { isStream: body instanceof ReadableStream, same, usedBeforeRead, chunks, usedAfter: res.bodyUsed,
        text: await rejected(() => res.text()), lockedBody: thrown(() => new Response(locked)) };
    `);
    assert.deepEqual(r, { isStream: true, same: true, usedBeforeRead: false, chunks: [0x68, 0xc3, 0xa9], usedAfter: true, text: 'TypeError', lockedBody: 'TypeError' });
  });

  test('bodies from bytes, Blob and URLSearchParams carry their bytes and content types', async () => {
    const r = await inIsolate(`
      const view = new Uint8Array([0, 1, 2, 3, 4]).subarray(1, 3);
      const blob = new Blob(['ab', new Uint8Array([99])], { type: 'Text/Plain' });
      const fromBlob = new Response(blob);
      return {
        view: Array.from(new Uint8Array(await new Response(view).arrayBuffer())),
        buffer: Array.from(await new Response(new Uint16Array([258]).buffer).bytes()),
        blob: [fromBlob.headers.get('content-type'), await fromBlob.text()],
        untypedBlob: new Response(new Blob(['x'])).headers.get('content-type'),
        params: [new Response(new URLSearchParams({ a: '1 2' })).headers.get('content-type'), await new Response(new URLSearchParams({ a: '1 2' })).text()],
        bom: [await new Response(new Uint8Array([0xef, 0xbb, 0xbf, 0x41])).text(), await new Response('\\ufeffA').text()],
        loneSurrogate: await new Response('a\\ud800').text(),
        blobBack: await (await new Response('xyz', { headers: { 'content-type': 'text/x' } }).blob()).text(),
      };
    `);
    assert.deepEqual(r.view, [1, 2]);
    assert.deepEqual(r.buffer, [2, 1]);
    assert.deepEqual(r.blob, ['text/plain', 'abc']);
    assert.equal(r.untypedBlob, null);
    assert.deepEqual(r.params, ['application/x-www-form-urlencoded;charset=UTF-8', 'a=1+2']);
    assert.deepEqual(r.bom, ['A', 'A']);
    assert.equal(r.loneSurrogate, 'a\ufffd');
    assert.equal(r.blobBack, 'xyz');
  });

  test('a stream body of several chunks reaches the client as their concatenation', async () => {
    const server = await startWorker(`export default { fetch() {
      const encoder = new TextEncoder();
      let n = 0;
      const stream = new ReadableStream({
        async pull(controller) {
          await new Promise((resolve) => setTimeout(resolve, 5));
          n++;
          controller.enqueue(encoder.encode('chunk' + n + ';'));
          if (n === 3) { controller.enqueue(new Uint8Array([0xe2, 0x82])); controller.enqueue(new Uint8Array([0xac])); controller.close(); }
        },
      });
      return new Response(stream, { headers: { 'content-type': 'text/plain; charset=utf-8' } });
    } }`);
    try {
      const response = await server.fetch('/');
      assert.equal(response.status, 200);
      assert.equal(await response.text(), 'chunk1;chunk2;chunk3;€');
    } finally {
      await server.close();
    }
  });

  test('status, statusText, headers and body reach the client', async () => {
    const server = await startWorker(`export default { fetch() {
      return new Response(new Blob(['<p>hi</p>'], { type: 'text/html' }), { status: 201, statusText: 'Made It', headers: { 'X-Extra': 'yes' } });
    } }`);
    try {
      const response = await server.fetch('/');
      assert.equal(response.status, 201);
      assert.equal(response.statusText, 'Made It');
      assert.equal(response.headers.get('content-type'), 'text/html');
      assert.equal(response.headers.get('x-extra'), 'yes');
      assert.equal(await response.text(), '<p>hi</p>');
    } finally {
      await server.close();
    }
  });
});
