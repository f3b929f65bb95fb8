// The server's observers hear of requests at the end of the event-loop turn that answered them, all
// of the turn's together and in order; one observer that throws costs the others nothing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ObserverBatch } from '../../src/host/observability/observer-batch.js';
import type { PlatformObserver, RequestOutcome } from '../../src/host/observability/platform-observer.js';

const outcome = (traceId: string): RequestOutcome => ({
  worker: 'w', version: 1, status: 200, admitted: true, durationMs: 1, cpuMs: 0.5, coldStartMs: -1, memoryMb: 128,
  failure: null, traceId, method: 'GET', url: 'http://h/p',
});
const recorder = (): PlatformObserver & { seen: string[] } => {
  const seen: string[] = [];
  return { seen, request: (o) => { seen.push(o.traceId); } };
};
const turnEnd = () => new Promise((resolve) => setImmediate(resolve));

test('reports reach every observer at the end of the turn, in the order they were made', async () => {
  const a = recorder();
  const b = recorder();
  const batch = new ObserverBatch([a, b], (err) => { throw err; });
  batch.request(outcome('t1'));
  batch.request(outcome('t2'));
  assert.deepEqual(a.seen, [], 'not while the turn that made them runs');
  await turnEnd();
  assert.deepEqual(a.seen, ['t1', 't2']);
  assert.deepEqual(b.seen, ['t1', 't2']);
  batch.request(outcome('t3'));
  await turnEnd();
  assert.deepEqual(b.seen, ['t1', 't2', 't3'], 'each report once');
});

test('deliver() hands over at once what is waiting (shutdown)', () => {
  const a = recorder();
  const batch = new ObserverBatch([a], (err) => { throw err; });
  batch.request(outcome('t1'));
  batch.deliver();
  assert.deepEqual(a.seen, ['t1']);
});

test('an observer that throws is reported, and the observers after it still get the batch', async () => {
  const errors: unknown[] = [];
  const after = recorder();
  const batch = new ObserverBatch([{ request() { throw new Error('broken observer'); } }, after], (err) => errors.push(err));
  batch.request(outcome('t1'));
  batch.request(outcome('t2'));
  await turnEnd();
  assert.deepEqual(after.seen, ['t1', 't2']);
  assert.equal(errors.length, 1);
  assert.match(String(errors[0]), /broken observer/);
});
