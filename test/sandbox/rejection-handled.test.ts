// "rejectionhandled" (HTML, https://html.spec.whatwg.org/multipage/webappapis.html#unhandled-promise-rejections)
// is a documented deviation (docs/conformance.md): the isolate never learns that a handler was added to a
// rejection it reported, so the event is not dispatched. This holds the documented behaviour: listeners
// are accepted, handling the promise later works and logs nothing more, and no event arrives.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { startWorker } from '../helpers/worker-server.js';

describe('rejectionhandled', () => {
  test('a rejection handled in a later request gets no rejectionhandled event', async () => {
    const server = await startWorker(`const seen = [];
    let stored = null;
    addEventListener('unhandledrejection', (event) => { seen.push('unhandledrejection:' + event.reason.message); event.preventDefault(); });
    addEventListener('rejectionhandled', (event) => { seen.push('rejectionhandled'); });
    export default { async fetch(request) {
      const what = new URL(request.url).pathname;
      if (what === '/reject') stored = Promise.reject(new Error('late'));
      if (what === '/handle') await stored.catch((e) => seen.push('caught:' + e.message));
      if (what === '/seen') return Response.json(seen);
      return new Response('ok');
    } }`);
    try {
      assert.equal(await (await server.fetch('/reject')).text(), 'ok');
      assert.equal(await (await server.fetch('/handle')).text(), 'ok');
      // A later turn: HTML queues rejectionhandled as a task, so it would have arrived by now.
      await new Promise((resolve) => setTimeout(resolve, 20));
      assert.deepEqual(await (await server.fetch('/seen')).json(), ['unhandledrejection:late', 'caught:late']);
      assert.deepEqual(server.logs.lines.map((l) => l.message).filter((m) => m.includes('Uncaught')), []);
    } finally {
      await server.close();
    }
  });
});
