// `islet dev` as a user runs it: a wrangler project in a folder, the real launcher, real HTTP.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { eventually, makeProject, runIslet, startIslet } from '../helpers/cli.js';

const WRANGLER = `name = "counter"
main = "src/index.ts"
compatibility_date = "2026-11-01"

[vars]
GREETING = "hi"

[[kv_namespaces]]
binding = "COUNTS"
id = "counts-ns"
`;

const ENTRY = `import { label } from './label';
interface Env { GREETING: string; COUNTS: KVNamespace }
export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === '/kv') {
      const n = Number((await env.COUNTS.get('n')) ?? '0') + 1;
      await env.COUNTS.put('n', String(n));
      return new Response(String(n));
    }
    if (url.pathname === '/upstream') {
      const r = await fetch('https://api.example.com/data?x=1');
      return new Response(await r.text(), { status: r.status });
    }
    return new Response(label(env.GREETING));
  },
};
`;

test('serves a wrangler.toml project, with vars, KV state shared with `islet kv`, and hot reload', async () => {
  const dir = makeProject({ 'wrangler.toml': WRANGLER, 'src/index.ts': ENTRY, 'src/label.ts': `export const label = (g: string) => g + ' v1';\n` });
  const upstream = createServer((req, res) => res.end(`upstream saw ${req.url}`));
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  const upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  // Seeded before the server starts: dev must see it.
  const seeded = runIslet(['kv', 'key', 'put', 'n', '41', '--binding', 'COUNTS', '--local'], dir);
  assert.equal(seeded.code, 0, seeded.stderr);
  const server = await startIslet(['dev', '--port', '0', '--var', 'GREETING:hello', '--outbound', `api.example.com=${upstreamUrl}`], dir);
  try {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(await (await fetch(server.url)).text(), 'hello v1', '--var overrides [vars]');
    assert.equal(await (await fetch(`${server.url}/kv`)).text(), '42');
    // Written by the worker, read by the CLI while the server runs.
    const read = runIslet(['kv', 'key', 'get', 'n', '--binding', 'COUNTS', '--local'], dir);
    assert.equal(read.stdout, '42');
    const upstreamReply = await fetch(`${server.url}/upstream`);
    assert.equal(await upstreamReply.text(), 'upstream saw /data?x=1');

    // An imported module changes: the next requests see the new code.
    writeFileSync(join(dir, 'src/label.ts'), `export const label = (g: string) => g + ' v2';\n`);
    await eventually(async () => (await (await fetch(server.url)).text()) === 'hello v2');

    // A syntax error is reported and the previous version keeps serving.
    writeFileSync(join(dir, 'src/label.ts'), `export const label = (g: string) => g + ;\n`);
    await eventually(async () => /Reload failed/.test(server.output()));
    assert.match(server.output(), /label\.ts:1:\d+/);
    assert.equal(await (await fetch(server.url)).text(), 'hello v2');
  } finally {
    await server.stop();
    upstream.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a module that fails to start is a clear error naming the file and line', () => {
  const dir = makeProject({
    'wrangler.toml': 'name = "bad"\nmain = "index.js"\n',
    'index.js': 'export default {\n  fetch() { return new Response("x") }\n  oops\n};\n',
  });
  try {
    const result = runIslet(['dev', '--port', '0'], dir);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /index\.js:3:\d+/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a module with no handler at all is refused at startup', () => {
  const dir = makeProject({ 'wrangler.toml': 'name = "nofetch"\nmain = "index.js"\n', 'index.js': 'export default { hello() {} };\n' });
  try {
    const result = runIslet(['dev', '--port', '0'], dir);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /has no handler \(fetch, scheduled or queue\)/i);
    assert.match(result.stderr, /index\.js/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a module that throws while loading names the file and line', () => {
  const dir = makeProject({
    'wrangler.toml': 'name = "throws"\nmain = "index.js"\n',
    'index.js': 'const x = 1;\nthrow new Error("cannot start");\nexport default { fetch() { return new Response("x") } };\n',
  });
  try {
    const result = runIslet(['dev', '--port', '0'], dir);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /cannot start/);
    assert.match(result.stderr, /index\.js:2/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a port already in use is a clear error, and the command exits', async () => {
  const dir = makeProject({ 'wrangler.toml': 'name = "busy"\nmain = "index.js"\ncompatibility_date = "2026-11-01"\n', 'index.js': 'export default { fetch() { return new Response("x") } }' });
  const blocker = createServer(() => {});
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  try {
    const port = (blocker.address() as AddressInfo).port;
    const result = runIslet(['dev', '--port', String(port)], dir);
    assert.equal(result.code, 1);
    assert.match(result.stderr, new RegExp(`Cannot listen on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE.*Choose another --port`));
  } finally {
    blocker.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('.dev.vars edits reload the worker', async () => {
  const dir = makeProject({
    'wrangler.toml': 'name = "vars"\nmain = "index.js"\ncompatibility_date = "2026-11-01"\n',
    '.dev.vars': 'SECRET=one\n',
    'index.js': 'export default { fetch(r, env) { return new Response(env.SECRET) } }',
  });
  const server = await startIslet(['dev', '--port', '0'], dir);
  try {
    assert.equal(await (await fetch(server.url)).text(), 'one');
    writeFileSync(join(dir, '.dev.vars'), 'SECRET=two\n');
    await eventually(async () => (await (await fetch(server.url)).text()) === 'two');
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a .dev.vars created while islet dev runs reloads the worker', async () => {
  const dir = makeProject({
    'wrangler.toml': 'name = "vars"\nmain = "index.js"\ncompatibility_date = "2026-11-01"\n\n[vars]\nSECRET = "from-config"\n',
    'index.js': 'export default { fetch(r, env) { return new Response(env.SECRET) } }',
  });
  const server = await startIslet(['dev', '--port', '0'], dir);
  try {
    assert.equal(await (await fetch(server.url)).text(), 'from-config');
    writeFileSync(join(dir, '.dev.vars'), 'SECRET=from-dev-vars\n');
    await eventually(async () => (await (await fetch(server.url)).text()) === 'from-dev-vars');
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a name islet deploy would refuse is served, with a note saying so before the first deploy', async () => {
  const entry = `export default { fetch() { return new Response('ok'); } };\n`;
  const dir = makeProject({ 'wrangler.toml': 'name = "My_Shop"\nmain = "index.js"\n', 'index.js': entry });
  const server = await startIslet(['dev', '--port', '0'], dir);
  try {
    assert.equal(await (await fetch(server.url)).text(), 'ok');
    assert.match(server.output(), /Note: islet deploy will refuse the name "My_Shop": a worker name is 1 to 63 lower-case letters/);
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const fine = makeProject({ 'wrangler.toml': 'name = "my-shop"\nmain = "index.js"\n', 'index.js': entry });
  const quiet = await startIslet(['dev', '--port', '0'], fine);
  try {
    assert.doesNotMatch(quiet.output(), /will refuse/);
  } finally {
    await quiet.stop();
    rmSync(fine, { recursive: true, force: true });
  }
});
