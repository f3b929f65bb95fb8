// `islet dev` prints one readable line per request, as wrangler dev does, next to the worker's own
// console output.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { test } from 'node:test';
import { eventually, makeProject, startIslet } from '../helpers/cli.js';

test('islet dev logs each request as METHOD PATH STATUS REASON (DURATION)', async () => {
  const dir = makeProject({
    'wrangler.toml': 'name = "logged"\nmain = "index.js"\ncompatibility_date = "2026-11-01"\n',
    'index.js': `export default { fetch(request) {
      console.log('worker saw', new URL(request.url).pathname);
      return new Response('x', { status: new URL(request.url).pathname === '/missing' ? 404 : 200 });
    } };\n`,
  });
  const server = await startIslet(['dev', '--port', '0'], dir);
  try {
    assert.equal((await fetch(`${server.url}/hello?secret=1`)).status, 200);
    assert.equal((await fetch(`${server.url}/missing`, { method: 'POST', body: 'b' })).status, 404);
    await eventually(async () => /POST \/missing/.test(server.output()));
    const lines = server.output().split('\n');
    assert.ok(lines.some((l) => /^GET \/hello 200 OK \(\d+(\.\d)? ms\)$/.test(l)), server.output());
    assert.ok(lines.some((l) => /^POST \/missing 404 Not Found \(\d+(\.\d)? ms\)$/.test(l)), server.output());
    assert.ok(!server.output().includes('secret=1'), 'the query string is not logged');
    assert.ok(lines.some((l) => /^\[logged\] \(\w+\) log: worker saw \/hello$/.test(l)), server.output());
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
