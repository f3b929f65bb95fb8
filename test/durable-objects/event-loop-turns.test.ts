// A caller awaiting stub calls one after another must not keep the event loop from turning: its own
// timers (and every other request's, and the server's I/O) run between the calls, as they do between
// any awaited I/O in Workers.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startWorker, type WorkerServer } from '../helpers/worker-server.js';

const WORKER = `
import { DurableObject } from 'cloudflare:workers';
export class Reader extends DurableObject {
  async read() { return 1; }
}
export default {
  async fetch(request, env) {
    const stub = env.READER.getByName('a');
    let firedAt = -1;
    let i = 0;
    setTimeout(() => { firedAt = i; }, 0);
    for (; i < 3000 && firedAt === -1; i++) await stub.read();
    return Response.json({ firedAt, calls: i });
  },
};
`;

let server: WorkerServer;
before(async () => { server = await startWorker(WORKER, { durableObjects: [{ binding: 'READER', className: 'Reader' }] }); });
after(() => server.close());

test('a timer set before a loop of stub calls fires during the loop, not after it', { timeout: 30_000 }, async () => {
  const response = await server.fetch('/');
  assert.equal(response.status, 200, await response.clone().text());
  const { firedAt, calls } = await response.json() as { firedAt: number; calls: number };
  assert.ok(firedAt >= 0, `the timer never fired in ${calls} calls`);
  assert.ok(firedAt < 3000);
});
