// The global scope's "unhandledrejection" event (HTML, https://html.spec.whatwg.org/multipage/webappapis.html#unhandled-promise-rejections)
// in a real worker: a PromiseRejectionEvent reaches listeners on the global object, and canceling it
// keeps the host from logging "Uncaught (in promise)".
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { startWorker } from '../helpers/worker-server.js';

const rejections = (server: { logs: { lines: { message: string }[] } }) =>
  server.logs.lines.map((l) => l.message).filter((m) => m.includes('Uncaught (in promise)'));

describe('unhandledrejection', () => {
  test('listeners see the reason and a rejected promise; preventDefault() keeps it out of the log', async () => {
    const server = await startWorker(`const seen = [];
    addEventListener('unhandledrejection', (event) => {
      const r = event.reason;
      seen.push({
        type: event.type, interface: event.constructor.name, cancelable: event.cancelable, trusted: event.isTrusted,
        target: event.target === globalThis, promise: event.promise instanceof Promise,
        reason: r instanceof Error ? [r.constructor.name, r.name, r.message, String(r.stack).includes('(test.js:')] : r,
      });
      if (typeof r === 'string' ? r.startsWith('quiet') : r.message.startsWith('quiet')) event.preventDefault();
    });
    function workerModuleFrame(reason) { return Promise.reject(reason); }
    export default { async fetch(request) {
      const what = new URL(request.url).pathname.slice(1);
      if (what === 'seen') return Response.json(seen.splice(0));
      if (what === 'quiet-error') workerModuleFrame(new TypeError('quiet: handled by a listener'));
      if (what === 'loud-error') workerModuleFrame(new RangeError('loud: nobody cancels this'));
      if (what === 'quiet-string') workerModuleFrame('quiet string');
      if (what === 'custom') { class MyError extends Error { name = 'MyError'; } workerModuleFrame(new MyError('loud custom')); }
      if (what === 'handled-later') { const p = Promise.reject(new Error('loud? no, handled')); await null; p.catch(() => {}); }
      return new Response('ok');
    } }`);
    try {
      for (const path of ['/quiet-error', '/loud-error', '/quiet-string', '/custom', '/handled-later']) {
        assert.equal(await (await server.fetch(path)).text(), 'ok', path);
      }
      const seen = await (await server.fetch('/seen')).json();
      const common = { type: 'unhandledrejection', interface: 'PromiseRejectionEvent', cancelable: true, trusted: true, target: true, promise: true };
      assert.deepEqual(seen, [
        { ...common, reason: ['TypeError', 'TypeError', 'quiet: handled by a listener', true] },
        { ...common, reason: ['RangeError', 'RangeError', 'loud: nobody cancels this', true] },
        { ...common, reason: 'quiet string' },
        { ...common, reason: ['Error', 'MyError', 'loud custom', true] },
      ]);
      const logged = rejections(server);
      assert.equal(logged.length, 2, logged.join('\n---\n'));
      assert.match(logged[0]!, /^Uncaught \(in promise\) RangeError: loud: nobody cancels this\n\s+at Object.fetch \(test.js:/);
      assert.match(logged[1]!, /^Uncaught \(in promise\) MyError: loud custom/);
    } finally {
      await server.close();
    }
  });

  test('without listeners the rejection is logged as before, and a listener that rejects in turn is logged too', async () => {
    const server = await startWorker(`let armed = false;
    export default { async fetch(request) {
      if (new URL(request.url).pathname === '/arm' && !armed) {
        armed = true;
        addEventListener('unhandledrejection', async (event) => { throw new Error('the listener failed on ' + event.reason.message); });
      }
      Promise.reject(new Error('stray'));
      return new Response('ok');
    } }`);
    try {
      assert.equal(await (await server.fetch('/')).text(), 'ok');
      assert.deepEqual(rejections(server).map((m) => m.split('\n')[0]), ['Uncaught (in promise) Error: stray']);
      assert.equal(await (await server.fetch('/arm')).text(), 'ok');
      const second = rejections(server).slice(1).join('\n');
      assert.match(second, /Uncaught \(in promise\) Error: stray/);
      assert.match(second, /Uncaught \(in promise\) Error: the listener failed on stray/);
      // The isolate carries on.
      assert.equal(await (await server.fetch('/')).text(), 'ok');
    } finally {
      await server.close();
    }
  });
});
