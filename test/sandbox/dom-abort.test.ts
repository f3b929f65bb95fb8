// AbortController and AbortSignal inside a real isolate, against the DOM Standard
// (https://dom.spec.whatwg.org/#aborting-ongoing-activities), and Request's signal (Fetch).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { startWorker } from '../helpers/worker-server.js';
import { inIsolate } from './harness.js';

describe('AbortController and AbortSignal', () => {
  test('abort() sets aborted and an AbortError reason, fires one trusted abort event, and runs onabort', async () => {
    const r = await inIsolate(`
      const c = new AbortController();
      const s = c.signal;
      const before = [s.aborted, s.reason === undefined, thrown(() => s.throwIfAborted()), c.signal === s];
      const events = [];
      s.addEventListener('abort', (e) => events.push(['listener', e.type, e.isTrusted, e.target === s, e.cancelable, e.bubbles, s.aborted]));
      s.onabort = (e) => events.push(['onabort', e.target === s]);
      c.abort();
      const reason = s.reason;
      c.abort('again');
      let thrownReason;
      try { s.throwIfAborted(); } catch (e) { thrownReason = e === reason; }
      return { before, events, reason: [describeError(reason), reason.code, reason.message], stays: s.reason === reason, thrownReason,
        tags: [String(c), String(s)], illegal: thrown(() => new AbortSignal()), inherits: s instanceof EventTarget };
    `);
    assert.deepEqual(r, {
      before: [false, true, 'no error', true],
      events: [['listener', 'abort', true, true, false, false, true], ['onabort', true]],
      reason: ['DOMException:AbortError', 20, 'signal is aborted without reason'], stays: true, thrownReason: true,
      tags: ['[object AbortController]', '[object AbortSignal]'], illegal: 'TypeError', inherits: true,
    });
  });

  test('abort(reason) keeps any reason as given; AbortSignal.abort() is already aborted', async () => {
    const r = await inIsolate(`
      const c = new AbortController();
      const why = { custom: true };
      c.abort(why);
      const plain = AbortSignal.abort();
      const given = AbortSignal.abort('because');
      let thrownValue;
      try { given.throwIfAborted(); } catch (e) { thrownValue = e; }
      return { same: c.signal.reason === why, plain: [plain.aborted, describeError(plain.reason)], given: [given.aborted, given.reason], thrownValue,
        nullReason: (() => { const d = new AbortController(); d.abort(null); return d.signal.reason; })() };
    `);
    assert.deepEqual(r, { same: true, plain: [true, 'DOMException:AbortError'], given: [true, 'because'], thrownValue: 'because', nullReason: null });
  });

  test('AbortSignal.timeout aborts after the delay with a TimeoutError, through the runtime timers', async () => {
    const r = await inIsolate(`
      const order = [];
      const s = AbortSignal.timeout(10);
      const initially = s.aborted;
      const fired = new Promise((resolve) => s.addEventListener('abort', (e) => { order.push('timeout'); resolve([e.isTrusted, describeError(s.reason), s.reason.code, s.reason.message]); }));
      setTimeout(() => order.push('t1'), 1);
      const late = new Promise((resolve) => setTimeout(() => { order.push('t40'); resolve(); }, 40));
      const event = await fired;
      await late;
      return { initially, event, order, zero: await new Promise((resolve) => { const z = AbortSignal.timeout(0); z.onabort = () => resolve(z.reason.name); }),
        errors: [thrown(() => AbortSignal.timeout(-1)), thrown(() => AbortSignal.timeout(NaN)), thrown(() => AbortSignal.timeout(Infinity)), thrown(() => AbortSignal.timeout())] };
    `);
    assert.deepEqual(r, {
      initially: false,
      event: [true, 'DOMException:TimeoutError', 23, 'signal timed out'],
      order: ['t1', 'timeout', 't40'],
      zero: 'TimeoutError',
      errors: ['TypeError', 'TypeError', 'TypeError', 'TypeError'],
    });
  });

  test('AbortSignal.any follows the first of its signals to abort, with that reason', async () => {
    const r = await inIsolate(`
      const a = new AbortController(), b = new AbortController();
      const any = AbortSignal.any([a.signal, b.signal]);
      const log = [];
      any.addEventListener('abort', () => log.push(['any', any.reason]));
      b.signal.addEventListener('abort', () => log.push(['b', any.aborted, any.reason]));
      const before = any.aborted;
      b.abort('second');
      a.abort('first');
      const pre = AbortSignal.any([new AbortController().signal, AbortSignal.abort('already'), AbortSignal.abort('later')]);
      const empty = AbortSignal.any([]);
      return { before, log, after: [any.aborted, any.reason], pre: [pre.aborted, pre.reason], empty: empty.aborted,
        notSignal: thrown(() => AbortSignal.any([a.signal, {}])), notIterable: thrown(() => AbortSignal.any(5)), fresh: any !== a.signal && any !== b.signal };
    `);
    assert.deepEqual(r, {
      before: false,
      // Dependents are marked aborted before any abort event fires; the source's event comes first.
      log: [['b', true, 'second'], ['any', 'second']],
      after: [true, 'second'], pre: [true, 'already'], empty: false, notSignal: 'TypeError', notIterable: 'TypeError', fresh: true,
    });
  });

  test('a signal made from a dependent signal follows its sources; timeouts count as sources', async () => {
    const r = await inIsolate(`
      const a = new AbortController();
      const inner = AbortSignal.any([a.signal]);
      const outer = AbortSignal.any([inner, AbortSignal.timeout(100000)]);
      const fired = [];
      outer.onabort = () => fired.push('outer');
      inner.onabort = () => fired.push('inner');
      a.abort('root');
      const viaTimeout = AbortSignal.any([new AbortController().signal, AbortSignal.timeout(5)]);
      const reason = await new Promise((resolve) => viaTimeout.addEventListener('abort', () => resolve(viaTimeout.reason.name)));
      return { fired: fired.sort(), outer: outer.reason, reason };
    `);
    assert.deepEqual(r, { fired: ['inner', 'outer'], outer: 'root', reason: 'TimeoutError' });
  });

  test('abort listeners that throw are reported and do not stop the others', async () => {
    const r = await inIsolate(`
      const c = new AbortController();
      const log = [];
      addEventListener('error', (e) => { log.push('reported ' + e.error.message); e.preventDefault(); });
      c.signal.addEventListener('abort', () => { throw new Error('bad listener'); });
      c.signal.addEventListener('abort', () => log.push('second'));
      c.abort();
      return log;
    `);
    assert.deepEqual(r, ['reported bad listener', 'second']);
  });
});

describe('built-ins replaced by the tenant', () => {
  test('listeners, signals, timeouts and event handlers keep working', async () => {
    const server = await startWorker(`
      const broken = (name) => function () { throw new Error(name + ' was replaced'); };
      for (const [object, name] of [[Array.prototype, 'push'], [Array.prototype, 'slice'], [Array.prototype, 'splice'], [Array.prototype, 'indexOf'],
        [Function.prototype, 'call'], [Function.prototype, 'apply'], [Reflect, 'apply'], [WeakMap.prototype, 'get'], [WeakMap.prototype, 'set'],
        [WeakRef.prototype, 'deref'], [Map.prototype, 'get'], [Map.prototype, 'set'], [Object, 'freeze'], [Object, 'defineProperty']]) {
        object[name] = broken(name);
      }
      export default { async fetch(request) {
        const log = [];
        const target = new EventTarget();
        const controller = new AbortController();
        target.addEventListener('go', () => { log[log.length] = 'once'; }, { once: true });
        target.addEventListener('go', () => { log[log.length] = 'until abort'; }, { signal: controller.signal });
        target.dispatchEvent(new Event('go'));
        controller.abort();
        target.dispatchEvent(new Event('go'));
        const timeout = AbortSignal.timeout(1);
        await new Promise((resolve) => { timeout.onabort = () => { log[log.length] = timeout.reason.name; resolve(); }; });
        log[log.length] = String(new Request(request.url, { signal: timeout }).signal.aborted);
        return new Response(log.join(','));
      } };
    `);
    try {
      const response = await server.fetch('/');
      assert.equal(await response.text(), 'once,until abort,TimeoutError,true');
    } finally {
      await server.close();
    }
  });
});

describe('Request.signal', () => {
  test('an incoming request has a signal that is not aborted', async () => {
    const r = await inIsolate(`
      return [request.signal instanceof AbortSignal, request.signal.aborted, request.signal === request.signal, request.clone().signal.aborted];
    `);
    assert.deepEqual(r, [true, false, true, false]);
  });

  test('RequestInit.signal is followed by the request, its copies and clones', async () => {
    const r = await inIsolate(`
      const c = new AbortController();
      const req = new Request('https://example.com/', { signal: c.signal });
      const copy = new Request(req);
      const clone = req.clone();
      const own = new Request(req, { signal: null });
      const before = [req.signal === c.signal, req.signal.aborted, copy.signal.aborted, clone.signal.aborted];
      c.abort('stop');
      return { before, after: [req.signal.aborted, req.signal.reason, copy.signal.reason, clone.signal.reason, own.signal.aborted],
        aborted: new Request('https://example.com/', { signal: AbortSignal.abort('early') }).signal.reason,
        plain: new Request('https://example.com/').signal.aborted,
        bad: thrown(() => new Request('https://example.com/', { signal: {} })) };
    `);
    assert.deepEqual(r, {
      before: [false, false, false, false],
      after: [true, 'stop', 'stop', 'stop', false],
      aborted: 'early', plain: false, bad: 'TypeError',
    });
  });
});
