// The Event subclasses, event handler attributes, and the global scope as an event target with its
// exception reporting, inside real isolates: DOM (https://dom.spec.whatwg.org/#interface-customevent)
// and HTML (https://html.spec.whatwg.org/multipage/webappapis.html#event-handler-attributes,
// https://html.spec.whatwg.org/multipage/webappapis.html#report-an-exception).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LogLevel } from '../../src/shared/boundary.js';
import { startWorker } from '../helpers/worker-server.js';
import { inIsolate } from './harness.js';

describe('Event subclasses', () => {
  test('CustomEvent, ErrorEvent and PromiseRejectionEvent carry their init members', async () => {
    const r = await inIsolate(`
      const c = new CustomEvent('c', { detail: { n: 1 }, cancelable: true });
      const plain = new CustomEvent('c');
      plain.initCustomEvent('d', true, false, 'detail');
      const err = new Error('e');
      const ee = new ErrorEvent('error', { message: 'm', filename: 'f.js', lineno: 3, colno: -1, error: err });
      const eDefaults = new ErrorEvent('error');
      const p = Promise.reject(new Error('r'));
      p.catch(() => {});
      const pr = new PromiseRejectionEvent('unhandledrejection', { promise: p, reason: 'why', cancelable: true });
      return {
        custom: [c.detail.n, c.cancelable, c instanceof Event, plain.type, plain.bubbles, plain.detail, new CustomEvent('x').detail],
        error: [ee.message, ee.filename, ee.lineno, ee.colno, ee.error === err],
        errorDefaults: [eDefaults.message, eDefaults.filename, eDefaults.lineno, eDefaults.colno],
        rejection: [pr.promise === p, pr.reason, pr.cancelable],
        rejectionErrors: [thrown(() => new PromiseRejectionEvent('x')), thrown(() => new PromiseRejectionEvent('x', {})), thrown(() => new PromiseRejectionEvent('x', { promise: 1 }))],
        tags: [c, ee, pr].map((e) => Object.prototype.toString.call(e)),
      };
    `);
    assert.deepEqual(r, {
      custom: [1, true, true, 'd', true, 'detail', null],
      error: ['m', 'f.js', 3, 4294967295, true],
      errorDefaults: ['', '', 0, 0],
      rejection: [true, 'why', true],
      rejectionErrors: ['TypeError', 'TypeError', 'TypeError'],
      tags: ['[object CustomEvent]', '[object ErrorEvent]', '[object PromiseRejectionEvent]'],
    });
  });

  test('an event handler attribute keeps its listener position, and false cancels', async () => {
    const r = await inIsolate(`
      const signal = new AbortController().signal;
      const log = [];
      signal.addEventListener('abort', () => log.push('A'));
      signal.onabort = () => log.push('h1');
      signal.addEventListener('abort', () => log.push('B'));
      signal.onabort = () => { log.push('h2'); return false; };
      const cancelable = new Event('abort', { cancelable: true });
      const result = signal.dispatchEvent(cancelable);
      signal.onabort = null;
      signal.onabort = function () { log.push(this === signal ? 'h3' : 'wrong this'); };
      signal.dispatchEvent(new Event('abort'));
      signal.onabort = 'not a function';
      return { log, result, cleared: signal.onabort, handler: typeof signal.onabort };
    `);
    assert.deepEqual(r, { log: ['A', 'h2', 'B', 'A', 'B', 'h3'], result: false, cleared: null, handler: 'object' });
  });
});

describe('the global scope as an event target', () => {
  test('addEventListener, removeEventListener and dispatchEvent act on the global object, with or without a receiver', async () => {
    const r = await inIsolate(`
      const log = [];
      const f = function (e) { log.push([e.type, this === globalThis, e.target === globalThis, e.currentTarget === self]); };
      self.addEventListener('one', f);
      addEventListener('two', f);
      globalThis.dispatchEvent(new Event('one'));
      dispatchEvent(new Event('two'));
      removeEventListener('one', f);
      dispatchEvent(new Event('one'));
      const p = Promise.resolve();
      let rejection;
      addEventListener('unhandledrejection', (e) => { rejection = [e.promise === p, e.reason]; e.preventDefault(); });
      const notCanceled = dispatchEvent(new PromiseRejectionEvent('unhandledrejection', { promise: p, reason: 'r', cancelable: true }));
      return { log, rejection, notCanceled, same: addEventListener === EventTarget.prototype.addEventListener,
        enumerable: Object.getOwnPropertyDescriptor(globalThis, 'addEventListener').enumerable };
    `);
    assert.deepEqual(r, {
      log: [['one', true, true, true], ['two', true, true, true]], rejection: [true, 'r'], notCanceled: false, same: true, enumerable: false,
    });
  });

  test('reportError fires a cancelable ErrorEvent at the global scope and logs it unless canceled', async () => {
    const server = await startWorker(`export default { async fetch(request) {
      const seen = [];
      const cancel = new URL(request.url).searchParams.has('cancel');
      const listener = (e) => { seen.push([e.constructor.name, e.message, e.error && e.error.message, e.cancelable, e.isTrusted]); if (cancel) e.preventDefault(); };
      addEventListener('error', listener);
      reportError(new TypeError('reported ' + (cancel ? 'quietly' : 'loudly')));
      const t = new EventTarget();
      t.addEventListener('x', () => { throw new RangeError('from a listener'); });
      t.dispatchEvent(new Event('x'));
      removeEventListener('error', listener);
      let missing;
      try { reportError(); } catch (e) { missing = e.constructor.name; }
      return Response.json({ seen, missing });
    } }`);
    try {
      const loud = await (await server.fetch('/')).json();
      assert.deepEqual(loud, {
        seen: [['ErrorEvent', 'Uncaught TypeError: reported loudly', 'reported loudly', true, true], ['ErrorEvent', 'Uncaught RangeError: from a listener', 'from a listener', true, true]],
        missing: 'TypeError',
      });
      const errors = () => server.logs.lines.filter((l) => l.level === LogLevel.Error).map((l) => l.message);
      assert.ok(errors().some((m) => m.includes('Uncaught') && m.includes('reported loudly')), JSON.stringify(errors()));
      assert.ok(errors().some((m) => m.includes('from a listener')), JSON.stringify(errors()));
      const before = errors().length;
      await (await server.fetch('/?cancel')).json();
      assert.equal(errors().length, before, JSON.stringify(errors()));
    } finally {
      await server.close();
    }
  });
});
