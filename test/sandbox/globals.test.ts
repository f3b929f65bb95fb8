// Timers, microtasks, performance, console, ctx.waitUntil, navigator and self inside real isolates:
// HTML's timers and microtask queuing, the Console Standard, hr-time, and Cloudflare's context docs.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import { LogLevel } from '../../src/shared/boundary.js';
import { startWorker } from '../helpers/worker-server.js';
import { inIsolate } from './harness.js';

describe('timers and microtasks', () => {
  test('timers fire by delay, then in the order they were set, after pending microtasks', async () => {
    const r = await inIsolate(`
      const order = [];
      await new Promise((resolve) => {
        setTimeout(() => { order.push('t30'); resolve(); }, 30);
        setTimeout(() => order.push('t0-a'), 0);
        setTimeout(() => order.push('t10'), 10);
        setTimeout(() => order.push('t0-b'));
        queueMicrotask(() => order.push('micro'));
        Promise.resolve().then(() => order.push('promise'));
        order.push('sync');
      });
      return order;
    `);
    assert.deepEqual(r, ['sync', 'micro', 'promise', 't0-a', 't0-b', 't10', 't30']);
  });

  test('extra arguments reach the callback, which runs with the global object as this', async () => {
    const r = await inIsolate(`
      const seen = await new Promise((resolve) => setTimeout(function (a, b) { resolve([a, b, arguments.length, this === globalThis]); }, 0, 'x', 2));
      const interval = await new Promise((resolve) => { const id = setInterval((v) => { clearInterval(id); resolve(v); }, 1, 'iv'); });
      return { seen, interval };
    `);
    assert.deepEqual(r, { seen: ['x', 2, 2, true], interval: 'iv' });
  });

  test('clearTimeout and clearInterval cancel, share one id space, and ignore unknown ids', async () => {
    const r = await inIsolate(`
      const fired = [];
      const a = setTimeout(() => fired.push('a'), 5);
      const b = setTimeout(() => fired.push('b'), 5);
      clearTimeout(a);
      let ticks = 0;
      let finish;
      const finished = new Promise((resolve) => { finish = resolve; });
      // Ordered by due time, not by a guess at how fast a loaded machine runs: after the third tick
      // clears the interval, a later timer shows that no fourth tick comes.
      const iv = setInterval(() => { ticks++; if (ticks === 3) { clearTimeout(iv); setTimeout(finish, 20); } }, 2);
      const other = setInterval(() => fired.push('other'), 1);
      clearInterval(other);
      await finished;
      return { fired, ticks, ids: [a, b, iv].every((id) => Number.isInteger(id) && id > 0) && new Set([a, b, iv]).size === 3,
        unknown: [thrown(() => clearTimeout(123456)), thrown(() => clearTimeout()), thrown(() => clearInterval('x'))],
        notCallable: thrown(() => setTimeout(5)) };
    `);
    assert.deepEqual(r, { fired: ['b'], ticks: 3, ids: true, unknown: ['no error', 'no error', 'no error'], notCallable: 'TypeError' });
  });

  test('queueMicrotask requires a function, and an exception in one task does not stop the next', async () => {
    const r = await inIsolate(`
      const order = [];
      queueMicrotask(() => { order.push(1); throw new Error('boom'); });
      queueMicrotask(() => order.push(2));
      await new Promise((resolve) => setTimeout(resolve, 0));
      return { order, notFunction: thrown(() => queueMicrotask('x')), missing: thrown(() => queueMicrotask()) };
    `);
    assert.deepEqual(r, { order: [1, 2], notFunction: 'TypeError', missing: 'TypeError' });
  });

  test('a throwing timer callback is logged and later timers still fire', async () => {
    const server = await startWorker(`export default { async fetch() {
      setTimeout(() => { throw new Error('timer boom'); }, 0);
      await new Promise((resolve) => setTimeout(resolve, 10));
      return new Response('still here');
    } }`);
    try {
      const response = await server.fetch('/');
      assert.equal(await response.text(), 'still here');
      assert.ok(server.logs.lines.some((l) => l.level === LogLevel.Error && l.message.includes('timer boom')), JSON.stringify(server.logs.lines));
    } finally {
      await server.close();
    }
  });
});

describe('performance', () => {
  test('performance.now is a monotonic millisecond clock', async () => {
    const r = await inIsolate(`
      const samples = [];
      for (let i = 0; i < 1000; i++) samples.push(performance.now());
      const before = performance.now();
      await new Promise((resolve) => setTimeout(resolve, 30));
      const after = performance.now();
      return { monotonic: samples.every((v, i) => i === 0 || v >= samples[i - 1]), type: typeof before, elapsed: after - before,
        origin: typeof performance.timeOrigin, tag: Object.prototype.toString.call(performance) };
    `);
    assert.equal(r.monotonic, true);
    assert.equal(r.type, 'number');
    assert.ok((r.elapsed as number) >= 20 && (r.elapsed as number) < 5000, `elapsed ${String(r.elapsed)}`);
    assert.equal(r.origin, 'number');
    assert.equal(r.tag, '[object Performance]');
  });
});

describe('console', () => {
  test("output reaches the host's log with the level and the request's trace id", async () => {
    const server = await startWorker(`export default { fetch() {
      console.log('hello', { a: 1, b: [1, 'x'] }, 3);
      console.info('info');
      console.warn('warn');
      console.error('error', new Error('bad'));
      console.debug('debug');
      console.log('%s is %d years and %i%% %f %o%c!', 'Ada', 36.9, '7x', '1.5', 'q', 'color: red', 'extra');
      return new Response('ok');
    } }`);
    try {
      const response = await server.fetch('/', { headers: { 'x-trace-id': 'trace-console-1' } });
      assert.equal(await response.text(), 'ok');
      assert.equal(response.headers.get('x-trace-id'), 'trace-console-1');
      const lines = server.logs.lines.filter((l) => l.level !== 'platform');
      assert.ok(lines.every((l) => l.traceId === 'trace-console-1' && l.worker === 'test'), JSON.stringify(lines));
      assert.deepEqual(lines.map((l) => l.level), [LogLevel.Log, LogLevel.Info, LogLevel.Warn, LogLevel.Error, LogLevel.Debug, LogLevel.Log]);
      assert.equal(lines[0]!.message, "hello { a: 1, b: [ 1, \"x\" ] } 3");
      assert.ok(lines[3]!.message.startsWith('error Error: bad'), lines[3]!.message);
      assert.equal(lines[5]!.message, 'Ada is 36 years and 7% 1.5 "q"! extra');
    } finally {
      await server.close();
    }
  });
});

describe('ctx.waitUntil', () => {
  test('the response arrives before waitUntil work finishes; a rejected promise is logged', async () => {
    const server = await startWorker(`export default { fetch(request, env, ctx) {
      ctx.waitUntil(new Promise((resolve) => setTimeout(() => { console.log('background done'); resolve(); }, 200)));
      ctx.waitUntil(Promise.reject(new Error('background failed')));
      ctx.waitUntil(42);
      return new Response('fast');
    } }`);
    try {
      const response = await server.fetch('/', { headers: { 'x-trace-id': 'trace-wait-1' } });
      assert.equal(await response.text(), 'fast');
      assert.ok(!server.logs.lines.some((l) => l.message.includes('background done')), 'the response waited for waitUntil');
      const deadline = Date.now() + 3000;
      while (!server.logs.lines.some((l) => l.message.includes('background done')) && Date.now() < deadline) await sleep(20);
      const done = server.logs.lines.find((l) => l.message.includes('background done'));
      assert.ok(done, 'waitUntil work never finished');
      assert.equal(done.traceId, 'trace-wait-1');
      const failed = server.logs.lines.find((l) => l.message.includes('background failed'));
      assert.ok(failed, JSON.stringify(server.logs.lines));
      assert.equal(failed.level, LogLevel.Error);
      assert.equal(failed.traceId, 'trace-wait-1');
    } finally {
      await server.close();
    }
  });
});

describe('DOMException', () => {
  test('name, message, legacy code and constants', async () => {
    const r = await inIsolate(`
      const e = new DOMException('gone', 'NotFoundError');
      const plain = new DOMException();
      return [e.name, e.message, e.code, e instanceof Error, plain.name, plain.message, plain.code,
        new DOMException('x', 'CustomName').code, DOMException.NOT_FOUND_ERR, e.DATA_CLONE_ERR, DOMException.VALIDATION_ERR,
        Object.prototype.toString.call(e)];
    `);
    assert.deepEqual(r, ['NotFoundError', 'gone', 8, true, 'Error', '', 0, 0, 8, 25, 16, '[object DOMException]']);
  });
});

describe('navigator and self', () => {
  test("navigator.userAgent is Cloudflare's, self is the global object, and globals have WebIDL attributes", async () => {
    const r = await inIsolate(`
      const d = (name) => { const x = Object.getOwnPropertyDescriptor(globalThis, name); return [x.writable, x.enumerable, x.configurable]; };
      return {
        userAgent: navigator.userAgent, hardwareConcurrency: navigator.hardwareConcurrency, self: self === globalThis, selfSelf: self.self === self,
        attrs: ['fetch', 'Response', 'URL', 'crypto', 'setTimeout', 'structuredClone', 'self'].map(d),
        types: ['Request', 'Response', 'Headers', 'URL', 'URLSearchParams', 'TextEncoder', 'TextDecoder', 'Blob', 'ReadableStream', 'DOMException']
          .map((n) => typeof globalThis[n]),
      };
    `);
    assert.equal(r.userAgent, 'Cloudflare-Workers');
    assert.equal(r.hardwareConcurrency, 1);
    assert.equal(r.self, true);
    assert.equal(r.selfSelf, true);
    assert.deepEqual(r.attrs, Array(7).fill([true, false, true]));
    assert.deepEqual(r.types, Array(10).fill('function'));
  });
});

describe('interface objects', () => {
  test('keep their WebIDL names (the bundler must not rename them)', async () => {
    const names = ['Request', 'Response', 'Headers', 'URL', 'URLSearchParams', 'Blob', 'TextEncoder', 'TextDecoder', 'DOMException', 'KVNamespace'];
    const r = await inIsolate(`return ${JSON.stringify(names)}.map((n) => globalThis[n].name);`);
    assert.deepEqual(r, names);
  });
});
