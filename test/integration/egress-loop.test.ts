// A worker that fetches its own public URL: the chain is cut after 16 invocations, as on Workers.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startWorker, type WorkerServer } from '../helpers/worker-server.js';

describe('subrequest loops', () => {
  let worker: WorkerServer;

  before(async () => {
    worker = await startWorker(`export default { async fetch(request) {
      const url = new URL(request.url);
      const depth = Number(url.searchParams.get('depth') ?? 0);
      if (url.searchParams.has('stop')) return new Response('stopped at ' + request.headers.get('x-islet-via'));
      url.searchParams.set('depth', String(depth + 1));
      // Not forwarding the request's headers: the host carries the count on its own.
      const response = await fetch(url);
      if (response.status === 508 && response.headers.get('content-type').startsWith('text/plain')) {
        return Response.json({ deepest: depth, via: request.headers.get('x-islet-via'), refused: await response.text() }, { status: 508 });
      }
      return response;
    } }`, {}, { egress: { allow: ['127.0.0.1/32'] } });
  });
  after(() => worker.close());

  test('a worker fetching itself is stopped after 16 invocations with 508 Loop Detected', async () => {
    const response = await worker.fetch('/');
    const body = await response.json() as { deepest: number; via: string; refused: string };
    assert.equal(response.status, 508);
    assert.equal(body.deepest, 15, 'invocations 0..15 ran; the next was refused');
    assert.equal(body.via, '15');
    assert.match(body.refused, /^Loop Detected: .*16 workers/);
  });

  test('the front door reads the counter on incoming requests', async () => {
    const refused = await worker.fetch('/?stop', { headers: { 'x-islet-via': '16' } });
    assert.equal(refused.status, 508);
    assert.match(await refused.text(), /Loop Detected/);
    const allowed = await worker.fetch('/?stop', { headers: { 'x-islet-via': '15' } });
    assert.equal(await allowed.text(), 'stopped at 15');
    const garbage = await worker.fetch('/?stop', { headers: { 'x-islet-via': 'lots' } });
    assert.equal(garbage.status, 200);
  });
});
