// `islet dev --allow-egress` as a user runs it.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { makeProject, runIslet, startIslet } from '../helpers/cli.js';

const PROJECT = {
  'wrangler.toml': 'name = "egress"\nmain = "index.js"\ncompatibility_date = "2026-11-01"\n',
  'index.js': `export default { async fetch(request) {
    const target = new URL(request.url).searchParams.get('url');
    try { return new Response(await (await fetch(target)).text()); }
    catch (e) { return new Response(e.constructor.name + ': ' + e.message, { status: 502 }); }
  } }`,
};

test('--allow-egress opens a CIDR; the rest of loopback stays closed', async () => {
  const dir = makeProject(PROJECT);
  const upstream = createServer((req, res) => res.end(`upstream saw ${req.url}`));
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  const port = (upstream.address() as AddressInfo).port;
  const server = await startIslet(['dev', '--port', '0', '--allow-egress', '127.0.0.1/32'], dir);
  try {
    const allowed = await fetch(`${server.url}/?url=${encodeURIComponent(`http://127.0.0.1:${port}/ok`)}`);
    assert.equal(await allowed.text(), 'upstream saw /ok');
    const blocked = await fetch(`${server.url}/?url=${encodeURIComponent(`http://127.0.0.2:${port}/no`)}`);
    assert.equal(blocked.status, 502);
    assert.match(await blocked.text(), /^TypeError: Subrequest to 127\.0\.0\.2 is blocked by the egress policy.*--allow-egress 127\.0\.0\.2\/32/);
  } finally {
    await server.stop();
    upstream.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an invalid --allow-egress entry is a usage error', () => {
  const dir = makeProject(PROJECT);
  try {
    const result = runIslet(['dev', '--port', '0', '--allow-egress', '10.0.0.0/33'], dir);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /--allow-egress: egress allow entry "10\.0\.0\.0\/33" is not a valid CIDR/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
