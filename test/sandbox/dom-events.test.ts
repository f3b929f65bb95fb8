// Event and EventTarget inside a real isolate, against the DOM Standard (https://dom.spec.whatwg.org/#events).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { inIsolate } from './harness.js';

describe('Event', () => {
  test('constructor defaults, init dictionary, constants and the unforgeable isTrusted', async () => {
    const r = await inIsolate(`
      const e = new Event('ping');
      const f = new Event('pong', { bubbles: true, cancelable: 1, composed: 'yes' });
      const own = Object.getOwnPropertyDescriptor(e, 'isTrusted');
      return {
        defaults: [e.type, e.bubbles, e.cancelable, e.composed, e.eventPhase, e.target, e.currentTarget, e.defaultPrevented, e.returnValue, e.isTrusted],
        init: [f.type, f.bubbles, f.cancelable, f.composed],
        constants: [Event.NONE, Event.CAPTURING_PHASE, Event.AT_TARGET, Event.BUBBLING_PHASE, e.AT_TARGET],
        isTrustedOwn: [typeof own.get, own.configurable, own.get === Object.getOwnPropertyDescriptor(f, 'isTrusted').get],
        timeStamp: typeof e.timeStamp === 'number' && e.timeStamp >= 0,
        path: e.composedPath(), tag: Object.prototype.toString.call(e),
        errors: [thrown(() => new Event()), thrown(() => new Event('x', 5)), thrown(() => Event('x')), thrown(() => new Event(Symbol()))],
      };
    `);
    assert.deepEqual(r, {
      defaults: ['ping', false, false, false, 0, null, null, false, true, false],
      init: ['pong', true, true, true],
      constants: [0, 1, 2, 3, 2],
      isTrustedOwn: ['function', false, true],
      timeStamp: true, path: [], tag: '[object Event]',
      errors: ['TypeError', 'TypeError', 'TypeError', 'TypeError'],
    });
  });

  test('preventDefault only cancels a cancelable event outside passive listeners; returnValue and cancelBubble', async () => {
    const r = await inIsolate(`
      const t = new EventTarget();
      let phase;
      t.addEventListener('x', (e) => { e.preventDefault(); phase = e.eventPhase; });
      const notCancelable = new Event('x');
      const cancelable = new Event('x', { cancelable: true });
      const results = [t.dispatchEvent(notCancelable), notCancelable.defaultPrevented, t.dispatchEvent(cancelable), cancelable.defaultPrevented];
      const p = new EventTarget();
      p.addEventListener('y', (e) => { e.preventDefault(); }, { passive: true });
      const passive = new Event('y', { cancelable: true });
      const r = new Event('z', { cancelable: true });
      r.returnValue = false;
      const b = new Event('z');
      b.cancelBubble = true;
      b.cancelBubble = false;
      return { results, phase, passive: [p.dispatchEvent(passive), passive.defaultPrevented], returnValue: [r.defaultPrevented, r.returnValue], cancelBubble: b.cancelBubble };
    `);
    assert.deepEqual(r, {
      results: [true, false, false, true], phase: 2, passive: [true, false], returnValue: [true, false], cancelBubble: true,
    });
  });

  test('initEvent reinitializes, except while the event is being dispatched', async () => {
    const r = await inIsolate(`
      const e = new Event('a');
      e.initEvent('b', true, true);
      const t = new EventTarget();
      let during;
      t.addEventListener('b', (ev) => { ev.initEvent('c', false, false); during = [ev.type, ev.bubbles]; });
      t.dispatchEvent(e);
      return { after: [e.type, e.bubbles, e.cancelable, e.target === t], during };
    `);
    assert.deepEqual(r, { after: ['b', true, true, true], during: ['b', true] });
  });
});

describe('EventTarget', () => {
  test('dispatch: capture listeners first at the target, then the rest in order; this, target, currentTarget, phase', async () => {
    const r = await inIsolate(`
      const t = new EventTarget();
      const log = [];
      t.addEventListener('x', function (e) { log.push(['bubble1', this === t, e.target === t, e.currentTarget === t, e.eventPhase, e.composedPath().length]); });
      t.addEventListener('x', () => log.push('capture1'), true);
      const handler = { handleEvent(e) { log.push(['object', this === handler]); } };
      t.addEventListener('x', handler);
      t.addEventListener('x', () => log.push('capture2'), { capture: true });
      t.addEventListener('other', () => log.push('other'));
      const e = new Event('x');
      const result = t.dispatchEvent(e);
      return { log, result, after: [e.eventPhase, e.currentTarget, e.target === t, e.isTrusted, e.composedPath()] };
    `);
    assert.deepEqual(r, {
      log: ['capture1', 'capture2', ['bubble1', true, true, true, 2, 1], ['object', true]],
      result: true,
      after: [0, null, true, false, []],
    });
  });

  test('a listener is added once per (type, callback, capture) and removed by the same triple', async () => {
    const r = await inIsolate(`
      const t = new EventTarget();
      const log = [];
      const f = (e) => log.push(e.eventPhase + ':' + (log.length));
      t.addEventListener('x', f);
      t.addEventListener('x', f);
      t.addEventListener('x', f, { capture: true });
      t.dispatchEvent(new Event('x'));
      const first = log.length;
      t.removeEventListener('x', f, { capture: true });
      t.dispatchEvent(new Event('x'));
      const second = log.length - first;
      t.removeEventListener('x', f, false);
      t.dispatchEvent(new Event('x'));
      return { first, second, third: log.length - first - second,
        nullCallback: [thrown(() => t.addEventListener('x', null)), thrown(() => t.removeEventListener('x', undefined))],
        badCallback: thrown(() => t.addEventListener('x', 'nope')), missing: thrown(() => t.addEventListener('x')) };
    `);
    assert.deepEqual(r, { first: 2, second: 1, third: 0, nullCallback: ['no error', 'no error'], badCallback: 'TypeError', missing: 'TypeError' });
  });

  test('listeners added during dispatch do not run; removed ones do not run', async () => {
    const r = await inIsolate(`
      const t = new EventTarget();
      const log = [];
      const late = () => log.push('late');
      const removed = () => log.push('removed');
      t.addEventListener('x', () => { log.push('first'); t.addEventListener('x', late); t.removeEventListener('x', removed); });
      t.addEventListener('x', removed);
      t.dispatchEvent(new Event('x'));
      t.dispatchEvent(new Event('x'));
      return log;
    `);
    assert.deepEqual(r, ['first', 'first', 'late']);
  });

  test('once removes the listener before it runs, even when it dispatches again', async () => {
    const r = await inIsolate(`
      const t = new EventTarget();
      let calls = 0;
      t.addEventListener('x', () => { calls++; t.dispatchEvent(new Event('x')); }, { once: true });
      t.dispatchEvent(new Event('x'));
      t.dispatchEvent(new Event('x'));
      const f = () => calls++;
      t.addEventListener('y', f, { once: true });
      t.dispatchEvent(new Event('y'));
      t.addEventListener('y', f, { once: true });
      t.dispatchEvent(new Event('y'));
      return calls;
    `);
    assert.equal(r, 3);
  });

  test('stopImmediatePropagation stops the remaining listeners; stopPropagation in a capture listener skips the non-capture ones', async () => {
    const r = await inIsolate(`
      const t = new EventTarget();
      const log = [];
      t.addEventListener('x', (e) => { log.push('a'); e.stopImmediatePropagation(); });
      t.addEventListener('x', () => log.push('b'));
      t.dispatchEvent(new Event('x'));
      const u = new EventTarget();
      u.addEventListener('y', () => log.push('bubble'));
      u.addEventListener('y', (e) => { log.push('capture1'); e.stopPropagation(); }, true);
      u.addEventListener('y', () => log.push('capture2'), true);
      const e = new Event('y');
      u.dispatchEvent(e);
      u.dispatchEvent(e);
      return { log, flagsCleared: e.cancelBubble };
    `);
    assert.deepEqual(r, { log: ['a', 'capture1', 'capture2', 'capture1', 'capture2'], flagsCleared: false });
  });

  test('a signal removes its listener on abort; an aborted signal adds nothing; a non-signal is a TypeError', async () => {
    const r = await inIsolate(`
      const t = new EventTarget();
      const log = [];
      const c = new AbortController();
      t.addEventListener('x', () => log.push('signalled'), { signal: c.signal });
      t.addEventListener('x', () => log.push('plain'));
      t.dispatchEvent(new Event('x'));
      c.abort();
      t.dispatchEvent(new Event('x'));
      t.addEventListener('x', () => log.push('never'), { signal: AbortSignal.abort() });
      t.dispatchEvent(new Event('x'));
      return { log, bad: thrown(() => t.addEventListener('x', () => {}, { signal: {} })), nullSignal: thrown(() => t.addEventListener('x', () => {}, { signal: null })) };
    `);
    assert.deepEqual(r, { log: ['signalled', 'plain', 'plain', 'plain'], bad: 'TypeError', nullSignal: 'TypeError' });
  });

  test('dispatchEvent rejects non-events and events already being dispatched; listener errors are reported, not thrown', async () => {
    const r = await inIsolate(`
      const t = new EventTarget();
      const reported = [];
      addEventListener('error', (e) => { reported.push(e.error.name + ': ' + e.error.message.split(' ')[0]); e.preventDefault(); });
      let nested;
      t.addEventListener('x', (e) => { nested = thrown(() => t.dispatchEvent(e)); throw new Error('listener failed'); });
      t.addEventListener('x', { handleEvent: 'not callable' });
      t.addEventListener('x', () => reported.push('next listener ran'));
      const result = t.dispatchEvent(new Event('x'));
      return { result, nested, reported, notEvent: thrown(() => t.dispatchEvent({ type: 'x' })), none: thrown(() => t.dispatchEvent()),
        illegal: thrown(() => EventTarget.prototype.dispatchEvent.call({}, new Event('x'))) };
    `);
    assert.deepEqual(r, {
      result: true, nested: 'DOMException:InvalidStateError', reported: ['Error: listener', 'TypeError: The', 'next listener ran'],
      notEvent: 'TypeError', none: 'TypeError', illegal: 'TypeError',
    });
  });

  test('function lengths count required arguments only, as WebIDL defines them', async () => {
    const r = await inIsolate(`
      return [Event.length, CustomEvent.length, ErrorEvent.length, PromiseRejectionEvent.length, MessageEvent.length, EventTarget.length,
        EventTarget.prototype.addEventListener.length, EventTarget.prototype.removeEventListener.length, EventTarget.prototype.dispatchEvent.length,
        AbortSignal.abort.length, AbortSignal.timeout.length, AbortSignal.any.length, AbortController.prototype.abort.length,
        MessagePort.prototype.postMessage.length, File.length, FormData.length, FormData.prototype.append.length, FormData.prototype.set.length,
        FormData.prototype.forEach.length, reportError.length];
    `);
    assert.deepEqual(r, [1, 1, 1, 2, 1, 0, 2, 2, 1, 0, 1, 1, 0, 1, 2, 0, 2, 2, 1, 1]);
  });

  test('subclasses dispatch through the inherited methods', async () => {
    const r = await inIsolate(`
      class Emitter extends EventTarget { fire() { return this.dispatchEvent(new CustomEvent('go', { detail: 7 })); } }
      const em = new Emitter();
      let seen;
      em.addEventListener('go', (e) => { seen = [e.detail, e.target === em, e instanceof Event]; });
      em.fire();
      return { seen, own: Object.getOwnPropertyNames(EventTarget.prototype).sort() };
    `);
    assert.deepEqual(r, { seen: [7, true, true], own: ['addEventListener', 'constructor', 'dispatchEvent', 'removeEventListener'] });
  });
});
