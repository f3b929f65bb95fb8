// The contract every QueueStore backend passes: what a dispatcher relies on.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { NewMessage, QueueStore } from '../../src/host/storage/queues/queue-store.js';

const A = { scope: 'acme', queue: 'jobs' };
const msg = (id: string, visibleAt = 1_000, body = id): NewMessage => ({ id, contentType: 'text', body: Buffer.from(body), timestamp: 1_000, visibleAt });

/** `open` gives a store on `dir` (the same dir again for reopening); `fresh` a new empty dir. */
export function queueStoreContract(name: string, fresh: () => string, open: (dir: string) => QueueStore): void {
  test(`${name}: take returns ready messages oldest first, at most limit, and hides them`, () => {
    const store = open(fresh());
    store.sendMany([{ address: A, messages: [msg('a'), msg('b'), msg('c')] }]);
    assert.equal(store.readyCount(A, 1_000), 3);
    const first = store.take(A, 2, 1_000);
    assert.deepEqual(first.map((m) => [m.id, m.attempts, Buffer.from(m.body).toString()]), [['a', 1, 'a'], ['b', 1, 'b']]);
    assert.equal(store.readyCount(A, 1_000), 1);
    assert.deepEqual(store.take(A, 10, 1_000).map((m) => m.id), ['c']);
    assert.deepEqual(store.take(A, 10, 1_000), []);
    store.close();
  });

  test(`${name}: a message is not visible before its time`, () => {
    const store = open(fresh());
    store.sendMany([{ address: A, messages: [msg('later', 5_000), msg('now', 1_000)] }]);
    assert.deepEqual(store.take(A, 10, 2_000).map((m) => m.id), ['now']);
    assert.equal(store.nextVisible(A), 5_000);
    assert.deepEqual(store.take(A, 10, 5_000).map((m) => m.id), ['later']);
    assert.equal(store.nextVisible(A), null);
    store.close();
  });

  test(`${name}: settle deletes acked messages and brings retried ones back with one more attempt`, () => {
    const store = open(fresh());
    store.sendMany([{ address: A, messages: [msg('ok'), msg('again')] }]);
    store.take(A, 10, 1_000);
    store.settle(A, ['ok'], [{ id: 'again', visibleAt: 3_000 }]);
    assert.deepEqual(store.take(A, 10, 2_999), []);
    const back = store.take(A, 10, 3_000);
    assert.deepEqual(back.map((m) => [m.id, m.attempts]), [['again', 2]]);
    store.close();
  });

  test(`${name}: move sends taken messages to another queue of the scope, as new`, () => {
    const store = open(fresh());
    store.sendMany([{ address: A, messages: [msg('dead')] }]);
    store.take(A, 10, 1_000);
    store.move(A, ['dead'], 'dlq', 4_000);
    const dlq = { scope: 'acme', queue: 'dlq' };
    assert.deepEqual(store.take(dlq, 10, 4_000).map((m) => [m.id, m.attempts]), [['dead', 1]]);
    assert.deepEqual(store.take(A, 10, 9_000), []);
    store.close();
  });

  test(`${name}: scopes and queues are separate`, () => {
    const store = open(fresh());
    store.sendMany([
      { address: A, messages: [msg('mine')] },
      { address: { scope: 'other', queue: 'jobs' }, messages: [msg('theirs')] },
      { address: { scope: 'acme', queue: 'mail' }, messages: [msg('mail')] },
    ]);
    assert.deepEqual(store.take(A, 10, 1_000).map((m) => m.id), ['mine']);
    assert.deepEqual(store.pending().map((p) => `${p.scope}/${p.queue}`).sort(), ['acme/mail', 'other/jobs']);
    store.close();
  });

  test(`${name}: messages survive reopening; taken ones are released to be delivered again`, () => {
    const dir = fresh();
    let store = open(dir);
    store.sendMany([{ address: A, messages: [msg('kept'), msg('in-flight')] }]);
    store.take(A, 1, 1_000);
    store.close();
    store = open(dir);
    store.releaseTaken();
    assert.deepEqual(store.take(A, 10, 1_000).map((m) => [m.id, m.attempts]).sort(), [['in-flight', 1], ['kept', 2]].sort());
    store.close();
  });
}
