// Request inside a real isolate, against https://fetch.spec.whatwg.org/#request-class.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { startWorker } from '../helpers/worker-server.js';
import { inIsolate } from './harness.js';

describe('Request', () => {
  test('constructs from a string, from another Request, and from init', async () => {
    const r = await inIsolate(`
      const a = new Request('https://example.com/path?q=1#frag');
      const b = new Request(a, { method: 'POST', body: 'x', headers: { 'X-A': '1' } });
      const c = new Request(b);
      return {
        a: [a.url, a.method, a.redirect, [...a.headers], a.bodyUsed, a.body],
        b: [b.url, b.method, b.headers.get('x-a'), b.headers.get('content-type')],
        c: [c.url, c.method, c.headers.get('x-a'), await c.text()],
        headersAreCopies: c.headers !== b.headers,
        noArgs: thrown(() => new Request()), relative: thrown(() => new Request('/relative')),
        invalidUrl: thrown(() => new Request('http://exa mple.com')), badRedirect: thrown(() => new Request('https://x/', { redirect: 'sometimes' })),
        notCallable: thrown(() => Request('https://x/')),
        toStringTag: Object.prototype.toString.call(a),
      };
    `);
    assert.deepEqual(r.a, ['https://example.com/path?q=1#frag', 'GET', 'follow', [], false, null]);
    assert.deepEqual(r.b, ['https://example.com/path?q=1#frag', 'POST', '1', 'text/plain;charset=UTF-8']);
    assert.deepEqual(r.c, ['https://example.com/path?q=1#frag', 'POST', '1', 'x']);
    assert.equal(r.headersAreCopies, true);
    for (const key of ['noArgs', 'relative', 'invalidUrl', 'badRedirect', 'notCallable']) assert.equal(r[key], 'TypeError', key);
    assert.equal(r.toStringTag, '[object Request]');
  });

  test('methods: the six standard ones are uppercased, others keep their case, forbidden ones throw', async () => {
    const r = await inIsolate(`
      const m = (method) => { try { return new Request('https://x/', { method }).method; } catch (e) { return describeError(e); } };
      return {
        normalized: ['delete', 'get', 'head', 'options', 'post', 'put', 'GeT'].map(m),
        kept: ['custom', 'MkCol'].map(m),
        forbidden: ['CONNECT', 'trace', 'Track'].map(m),
        invalid: ['', 'a b', 'GET\\n', 'caf\\u00e9'].map(m),
      };
    `);
    assert.deepEqual(r.normalized, ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'GET']);
    assert.deepEqual(r.kept, ['custom', 'MkCol']);
    assert.deepEqual(r.forbidden, ['TypeError', 'TypeError', 'TypeError']);
    assert.deepEqual(r.invalid, ['TypeError', 'TypeError', 'TypeError', 'TypeError']);
  });

  test('GET and HEAD requests cannot have a body', async () => {
    const r = await inIsolate(`
      const post = new Request('https://x/', { method: 'POST', body: 'data' });
      return {
        get: thrown(() => new Request('https://x/', { body: 'x' })),
        head: thrown(() => new Request('https://x/', { method: 'HEAD', body: 'x' })),
        nullBody: thrown(() => new Request('https://x/', { body: null })),
        getFromPost: thrown(() => new Request(post, { method: 'GET' })),
      };
    `);
    assert.deepEqual(r, { get: 'TypeError', head: 'TypeError', nullBody: 'no error', getFromPost: 'TypeError' });
  });

  test('body readers: text, json, arrayBuffer, bytes, blob; content types follow the body', async () => {
    const r = await inIsolate(`
      const req = (body, headers) => new Request('https://x/', { method: 'POST', body, headers });
      const blob = await req('{"a":1}', { 'content-type': 'application/json' }).blob();
      return {
        text: await req('h\\u00e9llo').text(),
        json: await req('{"a":[1,2]}').json(),
        arrayBuffer: Array.from(new Uint8Array(await req('h\\u00e9').arrayBuffer())),
        bytes: Array.from(await req(new Uint8Array([1, 2, 3])).bytes()),
        blob: [blob.size, blob.type, await blob.text()],
        badJson: await rejected(() => req('{nope').json()),
        stringType: req('x').headers.get('content-type'),
        paramsType: req(new URLSearchParams('a=1')).headers.get('content-type'),
        paramsBody: await req(new URLSearchParams([['a b', 'c&d']])).text(),
        bufferType: req(new ArrayBuffer(1)).headers.get('content-type'),
        explicitType: req('x', { 'content-type': 'text/csv' }).headers.get('content-type'),
      };
    `);
    assert.equal(r.text, 'héllo');
    assert.deepEqual(r.json, { a: [1, 2] });
    assert.deepEqual(r.arrayBuffer, [0x68, 0xc3, 0xa9]);
    assert.deepEqual(r.bytes, [1, 2, 3]);
    assert.deepEqual(r.blob, [7, 'application/json', '{"a":1}']);
    assert.equal(r.badJson, 'SyntaxError');
    assert.equal(r.stringType, 'text/plain;charset=UTF-8');
    assert.equal(r.paramsType, 'application/x-www-form-urlencoded;charset=UTF-8');
    assert.equal(r.paramsBody, 'a+b=c%26d');
    assert.equal(r.bufferType, null);
    assert.equal(r.explicitType, 'text/csv');
  });

  test('bodyUsed, a second read rejects with TypeError, and a body-less request reads as empty', async () => {
    const r = await inIsolate(`
      const req = new Request('https://x/', { method: 'POST', body: 'once' });
      const before = req.bodyUsed;
      const text = await req.text();
      const empty = new Request('https://x/');
      return {
        before, text, after: req.bodyUsed, second: await rejected(() => req.text()), cloneUsed: thrown(() => req.clone()),
        rebuildUsed: thrown(() => new Request(req)),
        empty: [await empty.text(), await empty.text(), empty.bodyUsed],
      };
    `);
    assert.deepEqual(r, {
      before: false, text: 'once', after: true, second: 'TypeError', cloneUsed: 'TypeError', rebuildUsed: 'TypeError',
      empty: ['', '', false],
    });
  });

  test('clone copies everything and both bodies stay readable', async () => {
    const r = await inIsolate(`
      const req = new Request('https://x/a', { method: 'PUT', body: 'payload', headers: { 'x-a': '1' } });
      const copy = req.clone();
      copy.headers.set('x-a', '2');
      return { url: copy.url, method: copy.method, headers: [req.headers.get('x-a'), copy.headers.get('x-a')],
        bodies: [await req.text(), await copy.text()] };
    `);
    assert.deepEqual(r, { url: 'https://x/a', method: 'PUT', headers: ['1', '2'], bodies: ['payload', 'payload'] });
  });

  test('building a Request from another takes its body and leaves the original used', async () => {
    const r = await inIsolate(`
      const original = new Request('https://x/', { method: 'POST', body: 'moved' });
      const next = new Request(original);
      return { originalUsed: original.bodyUsed, body: await next.text() };
    `);
    assert.deepEqual(r, { originalUsed: true, body: 'moved' });
  });

  test("the incoming request carries the client's method, URL, headers and body", async () => {
    const server = await startWorker(`export default { async fetch(request) {
      const before = request.bodyUsed;
      const body = await request.json();
      return Response.json({ method: request.method, url: request.url, type: request.headers.get('Content-Type'),
        custom: request.headers.get('x-custom'), body, before, after: request.bodyUsed,
        isRequest: request instanceof Request });
    } }`);
    try {
      const response = await server.fetch('/submit?x=1', {
        method: 'POST', body: JSON.stringify({ hello: 'wörld', n: [1, 2] }),
        headers: { 'content-type': 'application/json', 'X-Custom': '  v  ' },
      });
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), {
        method: 'POST', url: `${server.url}/submit?x=1`, type: 'application/json', custom: 'v',
        body: { hello: 'wörld', n: [1, 2] }, before: false, after: true, isRequest: true,
      });
      const get = await server.fetch('/');
      assert.equal(get.status, 500, 'a GET has no JSON body to parse');
    } finally {
      await server.close();
    }
  });

  test('an incoming GET has a null body', async () => {
    const r = await inIsolate(`return { body: request.body, method: request.method, text: await request.text() };`);
    assert.deepEqual(r, { body: null, method: 'GET', text: '' });
  });
});
