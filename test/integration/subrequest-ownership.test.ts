// As on Workers, a subrequest belongs to the request that made it: another request running in the
// same isolate, handed its Response through a global, cannot read it.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { startWorker } from '../helpers/worker-server.js';

test('reading another request\'s subrequest body is refused with the error Workers gives', async (t) => {
  const origin = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('first part;');
    setTimeout(() => res.end('rest'), 300);
  });
  await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
  t.after(() => origin.close());
  const worker = await startWorker(`export default { async fetch(request) {
    if (new URL(request.url).pathname === '/owner') {
      globalThis.shared = await fetch('http://origin.test/');
      await new Promise((resolve) => setTimeout(resolve, 600));
      return new Response('owner done');
    }
    try {
      await globalThis.shared.text();
      return new Response('read it');
    } catch (e) {
      return new Response(e.constructor.name + ': ' + e.message);
    }
  } }`, {}, { outboundRoutes: new Map([['origin.test', `http://127.0.0.1:${(origin.address() as AddressInfo).port}`]]) });
  t.after(() => worker.close());

  const owner = worker.fetch('/owner');
  await new Promise((resolve) => setTimeout(resolve, 150));
  const intruder = await (await worker.fetch('/intruder')).text();
  assert.match(intruder, /^TypeError: Cannot perform I\/O on behalf of a different request\./);
  assert.equal(await (await owner).text(), 'owner done');
});
