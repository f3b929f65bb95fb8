// Queues under islet serve: producer and consumer in different workers (and engine processes), real
// SQLite in the server's data directory, batches delivered through the request path.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startTestServe, type TestServe } from '../helpers/serve.js';
import { batchesOf, CONSUMER, PRODUCER, sleep, waitFor, type LoggedBatch } from './queue-workers.js';

const producer = (queue: string) => ({ tenant: 'acme', config: { queues: { producers: [{ binding: 'Q', queue }] } } });
const consumer = (queue: string, settings: Record<string, unknown> = {}) =>
  ({ tenant: 'acme', config: { queues: { consumers: [{ queue, maxBatchTimeoutMs: 200, ...settings }] } } });

describe('queues in islet serve', () => {
  let serve: TestServe;
  const batches = (worker: string, queue?: string): LoggedBatch[] => batchesOf(serve.logs.lines, worker).filter((b) => queue === undefined || b.queue === queue);
  const messages = (worker: string, queue?: string) => batches(worker, queue).flatMap((b) => b.messages);
  before(async () => {
    serve = await startTestServe({ engines: 2 });
  });
  after(() => serve.close());

  async function deploy(name: string, code: string, extra: Record<string, unknown>): Promise<void> {
    const answer = await serve.deploy(name, code, extra);
    assert.equal(answer.status, 201, JSON.stringify(answer.json));
  }

  test('every content type arrives as it was sent, with id, timestamp and attempts', async () => {
    await deploy('c-kinds', CONSUMER, consumer('kinds'));
    await deploy('p-kinds', PRODUCER, producer('kinds'));
    const sentAt = Date.now();
    const res = await fetch(`${serve.url}/p-kinds/kinds`);
    assert.equal(await res.text(), 'sent');
    const got = await waitFor(() => { const m = messages('c-kinds'); return m.length >= 5 && m; });
    assert.deepEqual(got.map((m) => m.body), [
      { kind: 'json', n: 1 }, 'plain words', { bytes: [1, 2, 3] }, { kind: 'v8', when: 7, map: 'v' }, { kind: 'default' },
    ]);
    for (const m of got) {
      assert.equal(m.attempts, 1);
      assert.equal(m.isDate, true);
      assert.ok(m.ts >= sentAt - 1000 && m.ts <= Date.now(), `timestamp ${m.ts}`);
      assert.match(m.id, /^[0-9a-f]{32}$/);
    }
    assert.equal(new Set(got.map((m) => m.id)).size, 5);
    assert.equal(batches('c-kinds')[0]!.queue, 'kinds');
  });

  test('a full batch goes at once; the rest waits for max_batch_timeout', async () => {
    await deploy('c-size', CONSUMER, consumer('size', { maxBatchSize: 5, maxBatchTimeoutMs: 1500 }));
    await deploy('p-size', PRODUCER, producer('size'));
    const sentAt = Date.now();
    assert.equal(await (await fetch(`${serve.url}/p-size/batch?n=12`)).text(), 'sent');
    const all = await waitFor(() => { const b = batches('c-size'); return b.reduce((n, x) => n + x.messages.length, 0) >= 12 && b; });
    assert.deepEqual(all.map((b) => b.messages.length), [5, 5, 2]);
    // The two full batches did not wait for the timeout; the remainder did.
    assert.ok(all[1]!.at - sentAt < 1200, `second batch after ${all[1]!.at - sentAt} ms`);
    assert.ok(all[2]!.at - sentAt >= 1400, `last batch after ${all[2]!.at - sentAt} ms`);
    assert.deepEqual(all.flatMap((b) => b.messages.map((m) => (m.body as { i: number }).i)), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  });

  test('a failing handler retries its messages, counting attempts, then they go to the dead-letter queue', async () => {
    await deploy('c-retry', CONSUMER, { tenant: 'acme', config: { queues: { consumers: [
      { queue: 'flaky', maxBatchSize: 1, maxBatchTimeoutMs: 50, maxRetries: 2, deadLetterQueue: 'flaky-dead' },
      { queue: 'flaky-dead', maxBatchTimeoutMs: 50 },
    ] } } });
    await deploy('p-retry', PRODUCER, producer('flaky'));
    // One message per batch (a failing batch retries all it holds). Fails on attempts 1 and 2, succeeds on
    // 3; the other always fails.
    await fetch(`${serve.url}/p-retry/one?body=${encodeURIComponent(JSON.stringify({ name: 'recovers', fail: 2 }))}`);
    await fetch(`${serve.url}/p-retry/one?body=${encodeURIComponent(JSON.stringify({ name: 'doomed', fail: 99 }))}`);
    const dead = await waitFor(() => { const m = messages('c-retry', 'flaky-dead'); return m.length >= 1 && m; });
    const attempts = (name: string) => messages('c-retry', 'flaky').filter((m) => (m.body as { name: string }).name === name).map((m) => m.attempts);
    assert.deepEqual(attempts('recovers'), [1, 2, 3]);
    // max_retries 2: three deliveries, then the dead-letter queue, where it starts again at 1.
    assert.deepEqual(attempts('doomed'), [1, 2, 3]);
    assert.equal(dead.length, 1);
    assert.deepEqual([(dead[0]!.body as { name: string }).name, dead[0]!.attempts], ['doomed', 1]);
  });

  test('without a dead-letter queue a message is dropped after max_retries, and the drop is logged', async () => {
    await deploy('c-drop', CONSUMER, consumer('drop', { maxBatchTimeoutMs: 50, maxRetries: 1 }));
    await deploy('p-drop', PRODUCER, producer('drop'));
    await fetch(`${serve.url}/p-drop/one?body=${encodeURIComponent(JSON.stringify({ fail: 99 }))}`);
    await waitFor(() => serve.logs.lines.find((l) => l.worker === 'c-drop' && l.message.includes('dropped after 2 delivery attempts')));
    await sleep(400);
    assert.deepEqual(messages('c-drop').map((m) => m.attempts), [1, 2]);
  });

  test('ack() keeps a message acked when the handler throws; retry() brings one back', async () => {
    await deploy('c-ack', CONSUMER, consumer('ack', { maxBatchSize: 2, maxBatchTimeoutMs: 300 }));
    await deploy('p-ack', PRODUCER, producer('ack'));
    // One batch of two: the first is acked and then the handler throws; the second is only retried by the throw.
    await fetch(`${serve.url}/p-ack/one?body=${encodeURIComponent(JSON.stringify({ name: 'acked', ack: true, throwAfterAck: true }))}`);
    await fetch(`${serve.url}/p-ack/one?body=${encodeURIComponent(JSON.stringify({ name: 'plain' }))}`);
    await waitFor(() => messages('c-ack').length >= 3, 15_000);
    await sleep(300);
    const seen = messages('c-ack').map((m) => `${(m.body as { name: string }).name}#${m.attempts}`);
    assert.deepEqual(seen.slice(0, 2), ['acked#1', 'plain#1']);
    assert.ok(seen.includes('plain#2'), seen.join(','));
    assert.ok(!seen.includes('acked#2'), seen.join(','));
  });

  test('an explicit retry() redelivers only that message, even when the handler succeeds', async () => {
    await deploy('c-explicit', CONSUMER, consumer('explicit', { maxBatchSize: 2, maxRetries: 1 }));
    await deploy('p-explicit', PRODUCER, producer('explicit'));
    await fetch(`${serve.url}/p-explicit/one?body=${encodeURIComponent(JSON.stringify({ name: 'again', retry: true }))}`);
    await fetch(`${serve.url}/p-explicit/one?body=${encodeURIComponent(JSON.stringify({ name: 'once' }))}`);
    await waitFor(() => serve.logs.lines.find((l) => l.worker === 'c-explicit' && l.message.includes('dropped after 2')));
    const seen = messages('c-explicit').map((m) => `${(m.body as { name: string }).name}#${m.attempts}`);
    assert.deepEqual(seen.sort(), ['again#1', 'again#2', 'once#1']);
  });

  test('delaySeconds holds a message back', async () => {
    await deploy('c-delay', CONSUMER, consumer('delay', { maxBatchTimeoutMs: 0 }));
    await deploy('p-delay', PRODUCER, producer('delay'));
    const sentAt = Date.now();
    await fetch(`${serve.url}/p-delay/one?body=${encodeURIComponent(JSON.stringify({ name: 'late' }))}&delay=2`);
    await fetch(`${serve.url}/p-delay/one?body=${encodeURIComponent(JSON.stringify({ name: 'now' }))}`);
    const late = await waitFor(() => batches('c-delay').find((b) => b.messages.some((m) => (m.body as { name: string }).name === 'late')));
    const now = batches('c-delay').find((b) => b.messages.some((m) => (m.body as { name: string }).name === 'now'))!;
    assert.ok(now.at - sentAt < 1500, `undelayed after ${now.at - sentAt} ms`);
    assert.ok(late.at - sentAt >= 2000, `delayed after ${late.at - sentAt} ms`);
  });

  test('the producer gets Cloudflare\'s limits as errors', async () => {
    await deploy('p-limits', PRODUCER, producer('limits'));
    const json = await (await fetch(`${serve.url}/p-limits/limits`)).json() as Record<string, string>;
    assert.match(json.tooLarge!, /^RangeError: .*128001 bytes exceeds the limit of 128000 bytes/);
    assert.equal(json.atLimit, 'ok');
    assert.match(json.tooMany!, /^RangeError: .*at most 100 messages/);
    assert.match(json.batchTooLarge!, /^RangeError: .*300000 bytes exceeds the limit of 256000 bytes/);
    assert.match(json.delayTooLong!, /^RangeError: .*from 0 to 43200/);
    assert.match(json.textNotString!, /^TypeError: .*"text" needs a string body/);
    assert.match(json.unknownType!, /^TypeError: .*unknown content type "xml"/);
    assert.match(json.func!, /^TypeError: /);
  });

  test('queues belong to the tenant: another tenant\'s queue of the same name is never delivered here', async () => {
    await deploy('c-tenant', CONSUMER, consumer('shared-name'));
    await deploy('p-other', PRODUCER, { tenant: 'other', config: { queues: { producers: [{ binding: 'Q', queue: 'shared-name' }] } } });
    await deploy('p-mine', PRODUCER, producer('shared-name'));
    await fetch(`${serve.url}/p-other/one?body=${encodeURIComponent(JSON.stringify({ from: 'other' }))}`);
    await fetch(`${serve.url}/p-mine/one?body=${encodeURIComponent(JSON.stringify({ from: 'acme' }))}`);
    await waitFor(() => messages('c-tenant').length >= 1);
    await sleep(500);
    assert.deepEqual(messages('c-tenant').map((m) => m.body), [{ from: 'acme' }]);
  });

  test('a deploy with an invalid consumer setting is refused', async () => {
    const answer = await serve.deploy('bad', CONSUMER, { config: { queues: { consumers: [{ queue: 'q', maxBatchSize: 101 }] } } });
    assert.equal(answer.status, 400, JSON.stringify(answer.json));
    assert.match(JSON.stringify(answer.json), /maxBatchSize/);
  });
});

describe('queues across a restart of islet serve', () => {
  test('messages sent before a restart are delivered after it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'islet-queues-restart-'));
    try {
      let serve = await startTestServe({ engines: 1 }, dir);
      assert.equal((await serve.deploy('p', PRODUCER, producer('kept'))).status, 201);
      assert.equal(await (await fetch(`${serve.url}/p/batch?n=3`)).text(), 'sent');
      await serve.close();
      serve = await startTestServe({ engines: 1 }, dir);
      try {
        assert.equal((await serve.deploy('c', CONSUMER, consumer('kept'))).status, 201);
        const got = await waitFor(() => { const m = batchesOf(serve.logs.lines, 'c').flatMap((b) => b.messages); return m.length >= 3 && m; });
        assert.deepEqual(got.map((m) => m.body), [{ i: 0 }, { i: 1 }, { i: 2 }]);
      } finally {
        await serve.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
