// A tenant that replaces built-ins at module top level breaks only its own code: the runtime captured
// the originals before the tenant ran, so responses still get out.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { startWorker } from '../helpers/worker-server.js';

const HIJACK = `
  const broken = (name) => function () { throw new Error(name + ' was replaced'); };
  Array.prototype.push = broken('Array.prototype.push');
  Array.prototype.join = broken('Array.prototype.join');
  Array.prototype.map = broken('Array.prototype.map');
  Array.prototype[Symbol.iterator] = broken('Array.prototype[Symbol.iterator]');
  Promise.prototype.then = broken('Promise.prototype.then');
  Promise.prototype.catch = broken('Promise.prototype.catch');
  Promise.prototype.finally = broken('Promise.prototype.finally');
  Promise.resolve = broken('Promise.resolve');
  JSON.parse = broken('JSON.parse');
  JSON.stringify = broken('JSON.stringify');
  Function.prototype.call = broken('Function.prototype.call');
  Function.prototype.apply = broken('Function.prototype.apply');
  Map.prototype.get = broken('Map.prototype.get');
  Map.prototype.set = broken('Map.prototype.set');
  Map.prototype.has = broken('Map.prototype.has');
  Set.prototype.has = broken('Set.prototype.has');
  RegExp.prototype.exec = broken('RegExp.prototype.exec');
  RegExp.prototype.test = broken('RegExp.prototype.test');
  String.prototype.toLowerCase = broken('String.prototype.toLowerCase');
  Object.freeze = broken('Object.freeze');
  Reflect.apply = broken('Reflect.apply');
`;

describe('built-ins captured before tenant code', () => {
  test('responses still get out after the tenant replaces built-ins at top level', async () => {
    const server = await startWorker(`${HIJACK}
      export default {
        async fetch(request, env, ctx) {
          const path = request.url.slice(request.url.indexOf('/', 8));
          if (path === '/text') return new Response('ok');
          if (path === '/json') return Response.json({ a: [1, 'two'] });
          if (path === '/headers') {
            const response = new Response('h', { status: 201, headers: { 'X-One': '1' } });
            response.headers.append('Set-Cookie', 'a=1');
            response.headers.append('Set-Cookie', 'b=2');
            return response;
          }
          if (path === '/echo') return Response.json({ got: await request.json(), type: request.headers.get('content-type') });
          if (path === '/wait') {
            ctx.waitUntil(new Promise((resolve) => setTimeout(resolve, 5)));
            await null;
            return new Response('waited');
          }
          return new Response('not found', { status: 404 });
        },
      };`);
    try {
      const text = await server.fetch('/text');
      assert.deepEqual([text.status, await text.text()], [200, 'ok']);
      const json = await server.fetch('/json');
      assert.equal(json.headers.get('content-type'), 'application/json');
      assert.deepEqual(await json.json(), { a: [1, 'two'] });
      const headers = await server.fetch('/headers');
      assert.deepEqual([headers.status, headers.headers.get('x-one'), headers.headers.getSetCookie(), await headers.text()], [201, '1', ['a=1', 'b=2'], 'h']);
      const echo = await server.fetch('/echo', { method: 'POST', body: '{"x":[true,null]}', headers: { 'content-type': 'application/json' } });
      assert.deepEqual(await echo.json(), { got: { x: [true, null] }, type: 'application/json' });
      const wait = await server.fetch('/wait');
      assert.equal(await wait.text(), 'waited');
      const errors = server.logs.lines.filter((l) => l.level === 'platform' || l.level === 4);
      assert.deepEqual(errors, []);
    } finally {
      await server.close();
    }
  });

  test('a synchronous handler returning a plain Response works with Promise.prototype.then replaced', async () => {
    const server = await startWorker(`
      Promise.prototype.then = function () { throw new Error('then was replaced'); };
      Array.prototype.push = function () { throw new Error('push was replaced'); };
      JSON.parse = () => { throw new Error('parse was replaced'); };
      export default { fetch() { return Response.json({ sync: true }); } };`);
    try {
      const response = await server.fetch('/');
      assert.deepEqual(await response.json(), { sync: true });
    } finally {
      await server.close();
    }
  });
});

describe('streams loaded after the tenant replaced Promise built-ins', () => {
  test('a stream body still reaches the client', async () => {
    const server = await startWorker(`
      Promise.prototype.then = function () { throw new Error('then was replaced'); };
      Promise.resolve = function () { throw new Error('resolve was replaced'); };
      globalThis.Promise = function FakePromise() { throw new Error('Promise was replaced'); };
      export default { fetch() {
        const encoder = new TextEncoder();
        const stream = new ReadableStream({ start(c) { c.enqueue(encoder.encode('a')); c.enqueue(encoder.encode('b')); c.close(); } });
        return new Response(stream);
      } };`);
    try {
      const response = await server.fetch('/');
      assert.deepEqual([response.status, await response.text()], [200, 'ab']);
    } finally {
      await server.close();
    }
  });
});
