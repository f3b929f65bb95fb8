// A counter object under concurrency, one instance per id, and id derivation, in `islet dev`'s host:
// real isolates, real SQLite files in a temp dir, real HTTP.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startWorker, type WorkerServer } from '../helpers/worker-server.js';

const COUNTER = `
import { DurableObject } from 'cloudflare:workers';
export class Counter extends DurableObject {
  hits = 0;
  async fetch(request) {
    const url = new URL(request.url);
    this.hits++;
    if (url.pathname.endsWith('/memory')) return Response.json({ hits: this.hits, id: this.ctx.id.toString() });
    // A read, then a write after an await: the input gate keeps other events out in between.
    const value = (await this.ctx.storage.get('n')) ?? 0;
    await this.ctx.storage.put('n', value + 1);
    return new Response(String(value + 1));
  }
  async current() { return (await this.ctx.storage.get('n')) ?? 0; }
}
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const name = url.searchParams.get('name') ?? 'main';
    if (url.pathname === '/ids') {
      const a = env.COUNTER.idFromName('alpha');
      const b = env.COUNTER.idFromName('alpha');
      const u = env.COUNTER.newUniqueId();
      let bad = null;
      try { env.COUNTER.idFromString('not-an-id'); } catch (e) { bad = e.constructor.name + ': ' + e.message; }
      let foreign = null;
      try { env.COUNTER.idFromString('0'.repeat(64)); } catch (e) { foreign = e.constructor.name; }
      return Response.json({
        a: a.toString(), same: a.equals(b), name: a.name, unique: u.toString(), uniqueDiffers: !u.equals(a),
        roundTrip: env.COUNTER.idFromString(u.toString()).equals(u), bad, foreign,
      });
    }
    const stub = env.COUNTER.getByName(name);
    if (url.pathname === '/current') return Response.json(await stub.current());
    return stub.fetch(request);
  },
};
`;

let server: WorkerServer;
before(async () => {
  server = await startWorker(COUNTER, { durableObjects: [{ binding: 'COUNTER', className: 'Counter' }], limits: { cpuMs: 2_000 } });
});
after(async () => { await server.close(); });

describe('Durable Object counter', () => {
  test('50 concurrent increments end at exactly 50, each value handed out once', async () => {
    const answers = await Promise.all(Array.from({ length: 50 }, () => server.fetch('/inc?name=race').then((r) => r.text())));
    assert.deepEqual(answers.map(Number).sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i + 1));
    assert.equal(await (await server.fetch('/current?name=race')).json(), 50);
  });

  test('one instance per id: requests to the same id see the same memory, another id its own', async () => {
    const first = await (await server.fetch('/memory?name=shared')).json() as { hits: number; id: string };
    const second = await (await server.fetch('/memory?name=shared')).json() as { hits: number; id: string };
    const other = await (await server.fetch('/memory?name=other')).json() as { hits: number; id: string };
    assert.equal(second.hits, first.hits + 1);
    assert.equal(second.id, first.id);
    assert.equal(other.hits, 1);
    assert.notEqual(other.id, first.id);
  });

  test('idFromName is deterministic, ids are 64 hex digits, idFromString checks them', async () => {
    const ids = await (await server.fetch('/ids')).json() as Record<string, unknown>;
    assert.match(String(ids.a), /^[0-9a-f]{64}$/);
    assert.match(String(ids.unique), /^[0-9a-f]{64}$/);
    assert.equal(ids.same, true);
    assert.equal(ids.name, 'alpha');
    assert.equal(ids.uniqueDiffers, true);
    assert.equal(ids.roundTrip, true);
    assert.equal(ids.bad, 'TypeError: Invalid Durable Object ID: must be 64 hex digits');
    assert.equal(ids.foreign, 'TypeError');
    const again = await (await server.fetch('/ids')).json() as Record<string, unknown>;
    assert.equal(again.a, ids.a);
  });
});
