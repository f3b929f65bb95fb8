// `islet workers`, `versions`, `secret` and `kv --server` through the real launcher against a real
// `islet serve` process, checked by what the deployed worker itself then sees.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ISLET, makeProject, runIslet } from '../helpers/cli.js';
import { closedPort, startServeProcess, tenantGet, TOKEN, type ServeProcess } from './serve-process.js';

const WRANGLER = `name = "store"
main = "src/index.ts"
compatibility_date = "2026-11-01"

[[kv_namespaces]]
binding = "DATA"
id = "data-ns"

[triggers]
crons = ["0 3 * * *"]
`;

const ENTRY = `interface Env { DATA: KVNamespace; API_KEY?: string }
export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    const key = url.searchParams.get('key') ?? '';
    if (url.pathname.endsWith('/secret')) return new Response(typeof env.API_KEY === 'string' ? env.API_KEY : 'unset');
    if (url.pathname.endsWith('/kv-read')) return new Response((await env.DATA.get(key)) ?? 'missing');
    if (url.pathname.endsWith('/kv-write')) { await env.DATA.put(key, url.searchParams.get('value') ?? ''); return new Response('ok'); }
    return new Response('store');
  },
  async scheduled(): Promise<void> {},
};
`;

let serve: ServeProcess;
let dir: string;
before(async () => {
  dir = makeProject({ 'wrangler.toml': WRANGLER, 'src/index.ts': ENTRY, 'other.js': `export default { fetch() { return new Response('other'); } };\n` });
  serve = await startServeProcess(dir);
  for (const args of [['deploy'], ['deploy', 'other.js', '--name', 'other', '--tenant', 'acme']]) {
    const deployed = serve.islet(args, dir);
    assert.equal(deployed.code, 0, deployed.stderr);
  }
});
after(async () => {
  await serve?.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

const body = async (path: string) => (await tenantGet(serve.url, path)).body;

test('workers list, get and delete', async () => {
  const list = serve.islet(['workers', 'list'], dir);
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /^NAME +TENANT +STATUS +TRAFFIC +ROUTES$/m);
  assert.match(list.stdout, /^other +acme +serving +version 1 100% +-$/m);
  assert.match(list.stdout, /^store +store +serving +version 1 100% +-$/m);
  const json = JSON.parse(serve.islet(['workers', 'list', '--json'], dir).stdout) as { workers: { name: string; tenant: string }[] };
  assert.deepEqual(json.workers.map((w) => [w.name, w.tenant]).sort(), [['other', 'acme'], ['store', 'store']]);

  const get = serve.islet(['workers', 'get', 'other'], dir);
  assert.equal(get.code, 0, get.stderr);
  assert.match(get.stdout, /^Worker: +other$/m);
  assert.match(get.stdout, /^Tenant: +acme$/m);
  assert.match(get.stdout, /^Traffic: +version 1 100%$/m);
  // Cron triggers run in UTC, as on Cloudflare: "0 3 * * *" is next due at 03:00Z of some day.
  const store = serve.islet(['workers', 'get', 'store'], dir);
  assert.match(store.stdout, /^Trigger: +0 3 \* \* \* \(next \d{4}-\d\d-\d\dT03:00:00\.000Z; never run\)$/m);

  assert.equal(await body('/other/'), 'other');
  const deleted = serve.islet(['workers', 'delete', 'other'], dir);
  assert.equal(deleted.code, 0, deleted.stderr);
  assert.match(deleted.stdout, /Deleted worker other/);
  assert.equal((await tenantGet(serve.url, '/other/')).status, 404);
  const gone = serve.islet(['workers', 'get', 'other'], dir);
  assert.equal(gone.code, 1);
  assert.match(gone.stderr, /worker "other" not found/);
  assert.doesNotMatch(gone.stderr, /\n\s+at /);
});

test('secret put reads the value from stdin; the worker sees it as env.KEY; list never shows it', async () => {
  assert.equal(await body('/store/secret'), 'unset');
  const put = serve.islet(['secret', 'put', 'store', 'API_KEY'], dir, 's3cret-value\n');
  assert.equal(put.code, 0, put.stderr);
  assert.match(put.stdout, /Secret API_KEY set on store/);
  // One final newline (what echo adds) is not part of the value.
  assert.equal(await body('/store/secret'), 's3cret-value');

  const list = serve.islet(['secret', 'list', 'store'], dir);
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /^API_KEY$/m);
  assert.deepEqual(JSON.parse(serve.islet(['secret', 'list', 'store', '--json'], dir).stdout), { secrets: [{ name: 'API_KEY' }] });
  for (const output of [put, list]) assert.doesNotMatch(output.stdout + output.stderr, /s3cret/);

  const empty = serve.islet(['secret', 'put', 'store', 'OTHER_KEY'], dir, '');
  assert.equal(empty.code, 1);
  assert.match(empty.stderr, /No value given for OTHER_KEY/);

  const deleted = serve.islet(['secret', 'delete', 'store', 'API_KEY'], dir);
  assert.equal(deleted.code, 0, deleted.stderr);
  assert.equal(await body('/store/secret'), 'unset');
  assert.match(serve.islet(['secret', 'list', 'store'], dir).stdout, /store has no secrets/);
});

test('kv key put, get, list and delete with --server work on the namespace the worker uses', async () => {
  const kv = (...args: string[]) => serve.islet(['kv', 'key', ...args, '--binding', 'DATA'], dir);
  const put = kv('put', 'greeting', 'hi there', '--metadata', '{"v":1}');
  assert.equal(put.code, 0, put.stderr);
  assert.equal(await body('/store/kv-read?key=greeting'), 'hi there');

  assert.equal(await body('/store/kv-write?key=from-worker&value=written'), 'ok');
  assert.equal(kv('get', 'from-worker').stdout, 'written');

  writeFileSync(join(dir, 'value.bin'), Buffer.from([0, 1, 2, 255]));
  assert.equal(kv('put', 'bin', '--path', join(dir, 'value.bin')).code, 0);
  const raw = spawnSync(ISLET, ['kv', 'key', 'get', 'bin', '--binding', 'DATA', '--server', serve.adminUrl, '--token', TOKEN], { cwd: dir });
  assert.deepEqual([...raw.stdout], [0, 1, 2, 255], 'get prints the raw bytes');

  const listed = JSON.parse(kv('list').stdout) as { name: string; metadata?: unknown }[];
  assert.deepEqual(listed.map((k) => k.name), ['bin', 'from-worker', 'greeting']);
  assert.deepEqual(listed.find((k) => k.name === 'greeting')?.metadata, { v: 1 });
  assert.deepEqual((JSON.parse(kv('list', '--prefix', 'g').stdout) as { name: string }[]).map((k) => k.name), ['greeting']);

  assert.equal(kv('delete', 'greeting').code, 0);
  assert.equal(await body('/store/kv-read?key=greeting'), 'missing');
  const missing = kv('get', 'greeting');
  assert.equal(missing.code, 1);
  assert.match(missing.stdout, /Value not found/);

  // The worker's limits and messages apply; an unknown binding is the server's error, not "not found".
  const longKey = kv('put', 'k'.repeat(513), 'v');
  assert.equal(longKey.code, 1);
  assert.match(longKey.stderr, /exceeds key length limit of 512/);
  const unknown = serve.islet(['kv', 'key', 'get', 'x', '--binding', 'NOPE'], dir);
  assert.equal(unknown.code, 1);
  assert.doesNotMatch(unknown.stdout, /Value not found/);
  assert.match(unknown.stderr, /NOPE/);
  // Cloudflare: key names cannot be empty. KV's own message, for put, get and delete alike.
  for (const args of [['put', '', 'x'], ['get', ''], ['delete', '']]) {
    const empty = kv(...args);
    assert.equal(empty.code, 1, args.join(' '));
    assert.match(empty.stderr, /Key name cannot be empty\./);
    assert.doesNotMatch(empty.stderr, /No admin endpoint/);
  }
  const both = serve.islet(['kv', 'key', 'get', 'x', '--binding', 'DATA', '--local'], dir);
  assert.equal(both.code, 1);
  assert.match(both.stderr, /Choose --local or --server, not both/);
});

test('versions get takes a version\'s number as well as its id', () => {
  const id = (JSON.parse(serve.islet(['versions', 'list', 'store', '--json'], dir).stdout) as { versions: { id: string; number: number }[] }).versions.find((v) => v.number === 1)!.id;
  const byId = serve.islet(['versions', 'get', 'store', id], dir);
  assert.equal(byId.code, 0, byId.stderr);
  assert.match(byId.stdout, new RegExp(`^Version: +store version 1 \\(${id}\\)$`, 'm'));
  const byNumber = serve.islet(['versions', 'get', 'store', '1'], dir);
  assert.equal(byNumber.code, 0, byNumber.stderr);
  assert.equal(byNumber.stdout, byId.stdout);
  const missing = serve.islet(['versions', 'get', 'store', '99'], dir);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /store has no version 99 \(versions: 1\)/);
});

test('versions list shows each version with its traffic', () => {
  const versions = serve.islet(['versions', 'list', 'store'], dir);
  assert.equal(versions.code, 0, versions.stderr);
  assert.match(versions.stdout, /^VERSION +ID +CREATED +TRAFFIC +MESSAGE$/m);
  assert.match(versions.stdout, /^1 +[0-9a-f-]{36} +\S+ +100%$/m);
  // The name comes from the wrangler config when not given.
  assert.equal(serve.islet(['versions', 'list'], dir).stdout, versions.stdout);
});

test('a wrong or missing token and a server that is down say what to do, with exit code 1', async () => {
  const wrong = runIslet(['workers', 'list', '--server', serve.adminUrl, '--token', 'not-the-right-token-at-all'], dir);
  assert.equal(wrong.code, 1);
  assert.match(wrong.stderr, /refused the token: set it with --token or ISLET_ADMIN_TOKEN/);
  const none = runIslet(['secret', 'list', 'store', '--server', serve.adminUrl], dir);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /needs a token: set it with --token or ISLET_ADMIN_TOKEN/);
  const port = await closedPort();
  const down = runIslet(['kv', 'key', 'list', '--binding', 'DATA', '--server', `http://127.0.0.1:${port}`, '--token', TOKEN], dir);
  assert.equal(down.code, 1);
  assert.ok(down.stderr.includes(`Cannot reach the Islet admin API at http://127.0.0.1:${port}: is \`islet serve\` running? (set --server or ISLET_SERVER)`), down.stderr);
  for (const result of [wrong, none, down]) assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
  const tenantPort = runIslet(['workers', 'list', '--server', serve.url, '--token', TOKEN], dir);
  assert.equal(tenantPort.code, 1);
  assert.match(tenantPort.stderr, /is it the admin port/);
});
