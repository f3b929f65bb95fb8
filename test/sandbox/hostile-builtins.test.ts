// A hostile tenant replaces, at its module's top level, the built-ins the platform's streams, bodies,
// headers and URLs are made of, before any of them is first used. Its own calls to them break; the
// platform's do not: every response below must still carry exactly the bytes the spec says.
// (Cloudflare Workers implements these classes natively, so no patch of a JS built-in reaches them.)
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startWorker, type WorkerServer } from '../helpers/worker-server.js';

// Everything the tenant code below still needs is taken before the built-ins go.
const HIJACK = `
  const broken = (name) => function () { throw new Error(name + ' was replaced'); };
  const encoder = new TextEncoder();
  const bytes = (text) => encoder.encode(text);
  const fromCharCode = String.fromCharCode;
  const replace = (object, names, label) => {
    for (let i = 0; i < names.length; i++) object[names[i]] = broken(label + '.' + names[i]);
  };
  replace(Array.prototype, ['push', 'pop', 'shift', 'unshift', 'splice', 'slice', 'forEach', 'map', 'filter', 'concat', 'join', 'indexOf', 'includes'], 'Array.prototype');
  Array.prototype[Symbol.iterator] = broken('Array.prototype[Symbol.iterator]');
  Object.getPrototypeOf([].values()).next = broken('ArrayIterator.next');
  replace(Function.prototype, ['call', 'apply', 'bind'], 'Function.prototype');
  replace(Promise.prototype, ['then', 'catch', 'finally'], 'Promise.prototype');
  replace(Promise, ['resolve', 'reject', 'all', 'allSettled', 'race', 'any', 'withResolvers'], 'Promise');
  replace(JSON, ['parse', 'stringify'], 'JSON');
  replace(Object, ['defineProperty', 'defineProperties', 'create', 'keys', 'entries', 'assign', 'getPrototypeOf', 'setPrototypeOf', 'freeze', 'getOwnPropertyDescriptor'], 'Object');
  replace(Object.prototype, ['hasOwnProperty'], 'Object.prototype');
  replace(Reflect, ['apply', 'construct', 'defineProperty', 'ownKeys', 'getOwnPropertyDescriptor'], 'Reflect');
  replace(Math, ['min', 'max', 'floor', 'ceil', 'trunc', 'abs'], 'Math');
  replace(Number, ['isFinite', 'isNaN', 'isInteger', 'isSafeInteger'], 'Number');
  replace(ArrayBuffer, ['isView'], 'ArrayBuffer');
  replace(ArrayBuffer.prototype, ['slice', 'transfer'], 'ArrayBuffer.prototype');
  replace(Reflect.getPrototypeOf(Uint8Array.prototype), ['set', 'subarray', 'slice', 'fill'], 'TypedArray.prototype');
  replace(Map.prototype, ['get', 'set', 'has', 'delete', 'forEach'], 'Map.prototype');
  replace(WeakMap.prototype, ['get', 'set', 'has', 'delete'], 'WeakMap.prototype');
  replace(Set.prototype, ['add', 'has', 'delete'], 'Set.prototype');
  replace(String.prototype, ['toLowerCase', 'toUpperCase', 'slice', 'indexOf', 'trim', 'split', 'replace', 'charCodeAt', 'padStart'], 'String.prototype');
  replace(RegExp.prototype, ['exec', 'test'], 'RegExp.prototype');
  replace(Error, ['captureStackTrace'], 'Error');
  replace(globalThis, ['queueMicrotask', 'structuredClone', 'Number', 'String', 'Symbol', 'Promise', 'Math', 'Object'], 'globalThis');
`;

const WORKER = `${HIJACK}
  const chunks = (parts) => new ReadableStream({
    start(c) { for (let i = 0; i < parts.length; i++) c.enqueue(bytes(parts[i])); c.close(); },
  });
  const read = async (stream) => {
    const reader = stream.getReader();
    let text = '';
    const decoder = new TextDecoder();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return text + decoder.decode();
      text += decoder.decode(value, { stream: true });
    }
  };
  export default { async fetch(request) {
    const path = new URL(request.url).pathname;
    if (path === '/stream') return new Response(chunks(['a', 'b', 'c']));
    if (path === '/pulled') {
      let n = 0;
      return new Response(new ReadableStream({ pull(c) { if (n === 3) c.close(); else c.enqueue(bytes(fromCharCode(120 + n++))); } }));
    }
    if (path === '/bytes') {
      let n = 0;
      return new Response(new ReadableStream({ type: 'bytes', pull(c) { if (n === 2) c.close(); else c.enqueue(bytes('B' + n++)); } }));
    }
    if (path === '/text') return new Response('text:' + await request.text());
    if (path === '/json') return Response.json({ got: await request.json() });
    if (path === '/array-buffer') return new Response(await request.arrayBuffer());
    if (path === '/request-stream') return new Response('streamed:' + await read(request.body));
    if (path === '/transform') {
      const upper = new TransformStream({ transform(chunk, c) { c.enqueue(bytes(new TextDecoder().decode(chunk) + '!')); } });
      return new Response(chunks(['x', 'y']).pipeThrough(upper));
    }
    if (path === '/pipe-to') {
      const { readable, writable } = new TransformStream();
      chunks(['p', 'q']).pipeTo(writable);
      return new Response(readable);
    }
    if (path === '/tee') {
      const pair = chunks(['t']).tee();
      return new Response(await read(pair[0]) + await read(pair[1]));
    }
    if (path === '/encoder-stream') {
      const source = new ReadableStream({ start(c) { c.enqueue('\\ud83d'); c.enqueue('\\ude00 ok'); c.close(); } });
      return new Response(source.pipeThrough(new TextEncoderStream()));
    }
    if (path === '/decoder-stream') return new Response(await read(chunks(['é']).pipeThrough(new TextDecoderStream()).pipeThrough(new TextEncoderStream())));
    if (path === '/async-iterator') {
      let text = '';
      for await (const chunk of chunks(['i', 'j'])) text += new TextDecoder().decode(chunk);
      return new Response(text);
    }
    if (path === '/byob') {
      const stream = new ReadableStream({ type: 'bytes', start(c) { c.enqueue(bytes('byob')); c.close(); } });
      const reader = stream.getReader({ mode: 'byob' });
      const { value } = await reader.read(new Uint8Array(16));
      return new Response(value);
    }
    if (path === '/response-json') return Response.json({ list: [1, 'two', { three: true }] });
    if (path === '/headers') {
      const headers = new Headers({ 'X-B': '2', 'x-a': '1' });
      headers.append('x-a', '3');
      headers.append('set-cookie', 'k=v');
      headers.append('set-cookie', 'l=w');
      return new Response('h', { headers });
    }
    if (path === '/url') {
      const url = new URL('https://Example.COM/a/../b?q=1#f');
      url.searchParams.append('r', 's t');
      return new Response(url.href + ' ' + url.host);
    }
    if (path === '/clone') {
      const response = new Response(chunks(['c1', 'c2']));
      const copy = response.clone();
      return new Response(await response.text() + '|' + await copy.text());
    }
    if (path === '/blob') return new Response(await new Blob(['bl', bytes('ob')]).text());
    return new Response('no route', { status: 404 });
  } };`;

describe('a tenant that replaced built-ins before first use', () => {
  let server: WorkerServer;
  before(async () => { server = await startWorker(WORKER, { limits: { cpuMs: 5_000 } }); });
  after(async () => { await server.close(); });

  const expect = async (path: string, body: string, init?: RequestInit) => {
    const response = await server.fetch(path, init);
    const text = await response.text();
    const problems = server.logs.lines.map((l) => l.message).join('\n');
    // A long body is compared by length first, so a failure does not print megabytes.
    assert.deepEqual([response.status, text.length], [200, body.length], `${path}: ${text.slice(0, 200)}\n${problems}`);
    assert.ok(text === body, `${path}: the body differs`);
    return response;
  };

  test('stream response bodies reach the client whole', async () => {
    await expect('/stream', 'abc');
    await expect('/pulled', 'xyz');
    await expect('/bytes', 'B0B1');
  });

  test('request bodies read as text, JSON, bytes and as a stream', async () => {
    await expect('/text', 'text:hello', { method: 'POST', body: 'hello' });
    await expect('/json', '{"got":{"a":[1,null]}}', { method: 'POST', body: '{"a":[1,null]}' });
    await expect('/array-buffer', 'raw', { method: 'POST', body: 'raw' });
    const big = 'z'.repeat(3 * 1024 * 1024);
    await expect('/text', 'text:' + big, { method: 'POST', body: big });
    await expect('/request-stream', 'streamed:' + big, { method: 'POST', body: big });
  });

  test('transform streams, pipes, tee, async iteration and BYOB reads', async () => {
    await expect('/transform', 'x!y!');
    await expect('/pipe-to', 'pq');
    await expect('/tee', 'tt');
    await expect('/async-iterator', 'ij');
    await expect('/byob', 'byob');
    await expect('/clone', 'c1c2|c1c2');
  });

  test('text encoding streams', async () => {
    await expect('/encoder-stream', '😀 ok');
    await expect('/decoder-stream', 'é');
  });

  test('Response.json, Headers, URL and Blob', async () => {
    const json = await expect('/response-json', '{"list":[1,"two",{"three":true}]}');
    assert.equal(json.headers.get('content-type'), 'application/json');
    const headers = await expect('/headers', 'h');
    assert.deepEqual([headers.headers.get('x-a'), headers.headers.get('x-b'), headers.headers.getSetCookie()], ['1, 3', '2', ['k=v', 'l=w']]);
    await expect('/url', 'https://example.com/b?q=1&r=s+t#f example.com');
    await expect('/blob', 'blob');
  });
});
