// islet dev with a worker that produces to and consumes its own queue, as wrangler dev runs one.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeProject, startIslet, type Running } from '../helpers/cli.js';
import { waitFor } from './queue-workers.js';

describe('queues in islet dev', () => {
  let dir: string;
  let dev: Running;
  before(async () => {
    dir = makeProject({
      'wrangler.toml': 'name = "loop"\nmain = "index.js"\ncompatibility_date = "2025-01-01"\n'
        + '[[queues.producers]]\nbinding = "JOBS"\nqueue = "jobs"\n'
        + '[[queues.consumers]]\nqueue = "jobs"\nmax_batch_size = 3\nmax_batch_timeout = 1\n',
      'index.js': `export default {
        async fetch(request, env) {
          await env.JOBS.sendBatch([{ body: 'one', contentType: 'text' }, { body: { n: 2 }, contentType: 'json' }, { body: 3 }]);
          return new Response('queued');
        },
        async queue(batch) {
          console.log('batch ' + batch.queue + ' ' + JSON.stringify(batch.messages.map((m) => m.body)) + ' attempts ' + batch.messages.map((m) => m.attempts).join(','));
        },
      };`,
    });
    dev = await startIslet(['dev', '--port', '0', '--persist-to', join(dir, '.islet')], dir);
  });
  after(async () => {
    await dev.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a worker consumes what it sends to its own queue', async () => {
    const res = await fetch(`${dev.url}/`);
    assert.equal(await res.text(), 'queued');
    await waitFor(() => dev.output().includes('batch jobs'));
    assert.match(dev.output(), /batch jobs \["one",\{"n":2\},3\] attempts 1,1,1/);
  });
});
