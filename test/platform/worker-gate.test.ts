import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConcurrencyGate, RateLimiter } from '../../src/host/platform/worker-gate.js';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => { resolve = r; });
  return { promise, resolve };
}

test('a concurrency gate runs at most N tasks, queues Q more in order, and refuses the rest', async () => {
  const gate = new ConcurrencyGate(2, 2);
  const started: number[] = [];
  const releases = Array.from({ length: 5 }, deferred);
  const runs = releases.map((d, i) => gate.run(() => { started.push(i); return d.promise.then(() => i); }));
  assert.deepEqual(started, [0, 1]);
  assert.equal(gate.running, 2);
  assert.equal(gate.queued, 2);
  assert.equal(runs[4], null, 'the fifth request finds the queue full');
  releases[1]!.resolve();
  await runs[1];
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(started, [0, 1, 2], 'the first queued task takes the freed slot');
  releases[0]!.resolve(); releases[2]!.resolve(); releases[3]!.resolve();
  assert.deepEqual(await Promise.all(runs.slice(0, 4)), [0, 1, 2, 3]);
  assert.equal(gate.running, 0);
});

test('a freed slot is handed to the queue, not to a newcomer arriving in between', async () => {
  const gate = new ConcurrencyGate(1, 1);
  const first = deferred();
  const order: string[] = [];
  const a = gate.run(() => first.promise.then(() => { order.push('a'); }));
  const b = gate.run(async () => { order.push('b'); });
  first.resolve();
  await a;
  // The slot now belongs to b; a newcomer must queue (and the queue holds one), not run at once.
  const c = gate.run(async () => { order.push('c'); });
  assert.notEqual(c, null);
  await Promise.all([b, c]);
  assert.deepEqual(order, ['a', 'b', 'c']);
});

test('a task that throws synchronously still frees its slot', async () => {
  const gate = new ConcurrencyGate(1, 0);
  await assert.rejects(gate.run(() => { throw new Error('boom'); })!, /boom/);
  assert.equal(gate.running, 0);
  assert.equal(await gate.run(async () => 7), 7);
});

test('the rate limiter allows a one-second burst, then one request per 1/rate seconds', () => {
  const limiter = new RateLimiter(10, 0);
  for (let i = 0; i < 10; i++) assert.equal(limiter.take(0), true, `burst request ${i}`);
  const wait = limiter.take(0);
  assert.equal(typeof wait, 'number');
  assert.ok(Math.abs((wait as number) - 0.1) < 1e-9, `next token due in 0.1 s, got ${String(wait)}`);
  assert.equal(limiter.take(100), true, 'after 100 ms one token has refilled');
  assert.notEqual(limiter.take(100), true);
});
