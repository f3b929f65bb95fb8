// An acknowledged KV write survives kill -9 of the server that made it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { makeProject, runIslet, startIslet } from '../helpers/cli.js';

test('every write acknowledged before SIGKILL is there after a restart', async () => {
  const dir = makeProject({
    'wrangler.toml': 'name = "writer"\nmain = "index.js"\n\n[[kv_namespaces]]\nbinding = "KV"\nid = "writes"\n',
    'index.js': `export default { async fetch(request, env) {
      const key = new URL(request.url).searchParams.get('key');
      await env.KV.put(key, 'value-' + key, { metadata: { key } });
      return new Response('stored ' + key);
    } };`,
  });
  const server = await startIslet(['dev', '--port', '0'], dir);
  const acknowledged: string[] = [];
  try {
    // Writes keep coming while the process is killed; only answered ones count.
    const writing = (async () => {
      for (let i = 0; i < 400; i++) {
        const key = `k${String(i).padStart(4, '0')}`;
        try {
          const response = await fetch(`${server.url}/?key=${key}`);
          if ((await response.text()) === `stored ${key}`) acknowledged.push(key);
        } catch {
          return;
        }
      }
    })();
    while (acknowledged.length < 50) await new Promise((r) => setTimeout(r, 5));
    server.child.kill('SIGKILL');
    await writing;
  } finally {
    await server.stop();
  }
  const listed = JSON.parse(runIslet(['kv', 'key', 'list', '--binding', 'KV', '--local'], dir).stdout) as { name: string }[];
  const present = new Set(listed.map((k) => k.name));
  const lost = acknowledged.filter((key) => !present.has(key));
  assert.ok(acknowledged.length >= 50);
  assert.deepEqual(lost, [], `${lost.length} acknowledged writes lost`);
  assert.equal(runIslet(['kv', 'key', 'get', acknowledged.at(-1)!, '--binding', 'KV', '--local'], dir).stdout, `value-${acknowledged.at(-1)}`);
  rmSync(dir, { recursive: true, force: true });
});
