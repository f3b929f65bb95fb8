// islet dev with several configs (-c a -c b, as wrangler dev takes them): the first is served, the
// others run beside it, and service bindings reach them in-process; --test-scheduled adds /__scheduled.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeProject, startIslet, type Running } from '../helpers/cli.js';

describe('islet dev with two configs', () => {
  let dir: string;
  let dev: Running;
  before(async () => {
    dir = makeProject({
      'front/wrangler.toml': 'name = "front"\nmain = "index.js"\ncompatibility_date = "2025-01-01"\n'
        + '[[services]]\nbinding = "API"\nservice = "api"\n[triggers]\ncrons = ["0 0 1 * *"]\n',
      'front/index.js': `export default {
        async fetch(request, env) {
          const res = await env.API.fetch('https://api.internal/hello', { method: 'POST', body: 'from front' });
          return new Response('front got: ' + await res.text() + ' (' + res.status + ')');
        },
        async scheduled(controller, env) { console.log('front scheduled ' + controller.cron + ' at ' + controller.scheduledTime); },
      };`,
      'api/wrangler.toml': 'name = "api"\nmain = "index.js"\ncompatibility_date = "2025-01-01"\n',
      'api/index.js': `export default { async fetch(request) {
        return new Response(request.method + ' ' + new URL(request.url).pathname + ' ' + await request.text());
      } };`,
    });
    dev = await startIslet(['dev', '-c', 'front/wrangler.toml', '-c', 'api/wrangler.toml', '--port', '0', '--test-scheduled',
      '--persist-to', join(dir, '.islet')], dir);
  });
  after(async () => {
    await dev.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the served worker calls the other through its service binding', async () => {
    const res = await fetch(`${dev.url}/`);
    assert.equal(await res.text(), 'front got: POST /hello from front (200)');
  });

  test('GET /__scheduled?cron=... runs scheduled() and answers as wrangler does', async () => {
    const res = await fetch(`${dev.url}/__scheduled?cron=${encodeURIComponent('*/5 * * * *')}&time=1736942400000`);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'Ran scheduled event');
    const deadline = Date.now() + 5_000;
    while (!dev.output().includes('front scheduled */5 * * * * at 1736942400000') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.match(dev.output(), /front scheduled \*\/5 \* \* \* \* at 1736942400000/);
  });
});
