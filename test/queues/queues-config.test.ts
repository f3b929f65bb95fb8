// [[queues.producers]] / [[queues.consumers]] as wrangler writes them: Cloudflare's defaults and ceilings.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readQueues } from '../../src/host/workers/queues-config.js';

const fail = (key: string, problem: string): never => { throw new Error(`${key} ${problem}`); };
const read = (queues: unknown) => readQueues({ queues }, fail, () => {});

test('consumer defaults: batches of 10, 5 s timeout, 3 retries, no dead-letter queue, no retry delay', () => {
  assert.deepEqual(read({ producers: [{ binding: 'Q', queue: 'jobs' }], consumers: [{ queue: 'jobs' }] }), {
    producers: [{ binding: 'Q', queue: 'jobs' }],
    consumers: [{ queue: 'jobs', maxBatchSize: 10, maxBatchTimeoutMs: 5000, maxRetries: 3, deadLetterQueue: null, retryDelaySeconds: 0 }],
  });
});

test('settings are read in wrangler\'s units (seconds) and held to Cloudflare\'s ceilings', () => {
  const { consumers } = read({ consumers: [{ queue: 'a', max_batch_size: 100, max_batch_timeout: 60, max_retries: 100, dead_letter_queue: 'a-dlq', retry_delay: 30 }] });
  assert.deepEqual(consumers[0], { queue: 'a', maxBatchSize: 100, maxBatchTimeoutMs: 60_000, maxRetries: 100, deadLetterQueue: 'a-dlq', retryDelaySeconds: 30 });
  assert.throws(() => read({ consumers: [{ queue: 'a', max_batch_size: 101 }] }), /max_batch_size must be a whole number from 1 to 100/);
  assert.throws(() => read({ consumers: [{ queue: 'a', max_batch_timeout: 61 }] }), /max_batch_timeout must be a whole number from 0 to 60/);
  assert.throws(() => read({ consumers: [{ queue: 'a', max_retries: 101 }] }), /max_retries/);
  assert.throws(() => read({ consumers: [{ queue: 'a' }, { queue: 'a' }] }), /already has a consumer/);
  assert.throws(() => read({ consumers: [{ queue: 'a', dead_letter_queue: 'a' }] }), /another queue/);
  assert.throws(() => read({ producers: [{ binding: 'Q', queue: 'bad name' }] }), /queue name/);
});
