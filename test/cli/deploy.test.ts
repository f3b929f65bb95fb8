// `islet deploy` and `islet rollback` as an operator runs them: a wrangler project in a folder, the real
// launcher, a real `islet serve` in another process, and requests to the deployed worker over HTTP.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { makeProject, runIslet } from '../helpers/cli.js';
import { closedPort, startServeProcess, tenantGet, TOKEN, type ServeProcess } from './serve-process.js';

const WRANGLER = `name = "greeter"
main = "src/index.ts"
compatibility_date = "2026-11-01"
routes = [{ pattern = "greet.example.com/*", zone_name = "example.com" }]

[vars]
GREETING = "hello"
`;

const ENTRY = `interface Env { GREETING: string; LABEL?: string; LOCAL_ONLY?: string }
export default {
  fetch(request: Request, env: Env): Response {
    const url = new URL(request.url);
    return new Response(\`\${env.GREETING} \${env.LABEL ?? 'v?'} \${url.hostname}\${url.pathname} local=\${env.LOCAL_ONLY ?? 'none'}\`);
  },
};
`;

let serve: ServeProcess;
let dir: string;
before(async () => {
  dir = makeProject({
    'wrangler.toml': WRANGLER,
    'src/index.ts': ENTRY,
    // Local values for islet dev; wrangler deploy does not upload them, nor does islet deploy.
    '.dev.vars': 'LOCAL_ONLY=from-dev-vars\n',
    'src/broken.ts': `import { helper } from './helper';\nhelper();\nexport default { fetch() { return new Response('never'); } };\n`,
    'src/helper.ts': `export function helper(): void {\n  throw new Error('broken at top level');\n}\n`,
  });
  serve = await startServeProcess(dir);
});
after(async () => {
  await serve?.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

const body = async (path: string, host?: string) => (await tenantGet(serve.url, path, host)).body;

test('deploy bundles the project; the worker answers on /<name>/ and on its route; a second deploy is a new version', async () => {
  const first = serve.islet(['deploy', '--var', 'LABEL:v1', '--message', 'first'], dir);
  assert.equal(first.code, 0, first.stderr);
  const deployed = /^Deployed greeter version 1 \(([0-9a-f-]{36})\) in \d+ ms$/m.exec(first.stdout);
  assert.ok(deployed, first.stdout);
  assert.match(first.stdout, /Routes: +greet\.example\.com\/\*/);
  assert.match(first.stdout, /Traffic: +version 1 100%/);
  assert.match(first.stderr, /Bundling src\/index\.ts/);
  assert.match(first.stderr, /Bundled in \d+ ms: \d+(\.\d)? (B|KiB)/, 'the upload size is shown');

  // The full URL reaches the worker, prefix included, as with a Workers route.
  assert.equal(await body('/greeter/path'), 'hello v1 127.0.0.1/greeter/path local=none');
  assert.equal(await body('/any/path', 'greet.example.com'), 'hello v1 greet.example.com/any/path local=none');

  const second = serve.islet(['deploy', '--var', 'LABEL:v2', '--json'], dir);
  assert.equal(second.code, 0, second.stderr);
  const answer = JSON.parse(second.stdout) as { version: { number: number; id: string }; worker: { routes: string[] }; deployment: { versions: { id: string; percent: number }[] } };
  assert.equal(answer.version.number, 2);
  assert.notEqual(answer.version.id, deployed[1]);
  assert.deepEqual(answer.worker.routes, ['greet.example.com/*']);
  assert.deepEqual(answer.deployment.versions.map((v) => [v.id, v.percent]), [[answer.version.id, 100]]);
  assert.equal(await body('/x', 'greet.example.com'), 'hello v2 greet.example.com/x local=none');

  const versions = serve.islet(['versions', 'list', 'greeter'], dir);
  assert.equal(versions.code, 0, versions.stderr);
  assert.match(versions.stdout, /^2 +[0-9a-f-]{36} +\S+ +100%$/m);
  assert.match(versions.stdout, /^1 +[0-9a-f-]{36} +\S+ +- +first$/m);
});

test('--percent starts a gradual rollout, sticky by header; rollback sends everything back', async () => {
  const rollout = serve.islet(['deploy', '--var', 'LABEL:v3', '--percent', '30', '--sticky-header', 'x-user'], dir);
  assert.equal(rollout.code, 0, rollout.stderr);
  assert.match(rollout.stdout, /^Deployed greeter version 3 /m);
  assert.match(rollout.stdout, /Traffic: +version 3 30%, version 2 70%, sticky by header x-user/);

  const seen = new Map<string, string>();
  for (let user = 0; user < 40; user++) {
    const answer = await tenantGet(serve.url, '/greeter/', undefined, { 'x-user': `user-${user}` });
    seen.set(`user-${user}`, answer.body.split(' ')[1]!);
  }
  // 40 users all landing on one side of a 30/70 split would happen about once in a million runs.
  assert.deepEqual(new Set(seen.values()), new Set(['v2', 'v3']));
  for (const [user, label] of [...seen].slice(0, 5)) {
    assert.equal((await tenantGet(serve.url, '/greeter/', undefined, { 'x-user': user })).body.split(' ')[1], label, 'a user stays on one version');
  }

  const rolled = serve.islet(['rollback', 'greeter'], dir);
  assert.equal(rolled.code, 0, rolled.stderr);
  assert.match(rolled.stdout, /Rolled back greeter; traffic now: version 2 100%/);
  for (let user = 0; user < 10; user++) {
    assert.equal((await tenantGet(serve.url, '/greeter/', undefined, { 'x-user': `user-${user}` })).body.split(' ')[1], 'v2');
  }

  // By number, as versions list shows it; the versions themselves never change.
  const toFirst = serve.islet(['rollback', 'greeter', '--version', '1'], dir);
  assert.equal(toFirst.code, 0, toFirst.stderr);
  assert.equal(await body('/greeter/'), 'hello v1 127.0.0.1/greeter/ local=none');
  const missing = serve.islet(['rollback', 'greeter', '--version', '99'], dir);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /greeter has no version 99 \(versions: 3, 2, 1\)/);
});

test('a deploy whose module throws at top level exits 1 with the error; the previous version keeps answering', async () => {
  const before = await body('/greeter/');
  const failed = serve.islet(['deploy', 'src/broken.ts', '--name', 'greeter'], dir);
  assert.equal(failed.code, 1);
  assert.match(failed.stderr, /nothing was deployed/);
  assert.match(failed.stderr, /broken at top level/);
  assert.match(failed.stderr, /helper\.ts:2/, 'the error names the tenant\'s file and line');
  assert.doesNotMatch(failed.stderr, /at AdminClient|admin-client/, 'no stack of the CLI itself');
  assert.equal(await body('/greeter/'), before);
  const versions = JSON.parse(serve.islet(['versions', 'list', 'greeter', '--json'], dir).stdout) as { versions: unknown[] };
  assert.equal(versions.versions.length, 3, 'nothing was stored');
});

test('a bundle that does not build is reported with its file and line before anything is sent', () => {
  const broken = makeProject({ 'wrangler.toml': 'name = "nobuild"\nmain = "index.ts"\n', 'index.ts': 'export default {\n  fetch( {\n};\n' });
  try {
    const result = serve.islet(['deploy'], broken);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /index\.ts:\d+:\d+/);
    assert.doesNotMatch(result.stderr, /Uploading/);
    assert.equal(serve.islet(['workers', 'get', 'nobuild'], broken).code, 1, 'no worker was created');
  } finally {
    rmSync(broken, { recursive: true, force: true });
  }
});

test('a wrong token and a server that is down are explained, with exit code 1 and no stack trace', async () => {
  const wrong = runIslet(['deploy', '--server', serve.adminUrl, '--token', 'not-the-right-token-at-all'], dir);
  assert.equal(wrong.code, 1);
  assert.match(wrong.stderr, /refused the token: set it with --token or ISLET_ADMIN_TOKEN/);
  assert.doesNotMatch(wrong.stderr, /\n\s+at /);

  const port = await closedPort();
  const down = runIslet(['deploy', '--server', `http://127.0.0.1:${port}`, '--token', TOKEN], dir);
  assert.equal(down.code, 1);
  assert.match(down.stderr, new RegExp(`Cannot reach the Islet admin API at http://127\\.0\\.0\\.1:${port}: is \`islet serve\` running\\? \\(set --server or ISLET_SERVER\\)`));
  assert.doesNotMatch(down.stderr, /\n\s+at /);

  const badPercent = runIslet(['deploy', '--server', serve.adminUrl, '--percent', '150'], dir);
  assert.equal(badPercent.code, 1);
  assert.match(badPercent.stderr, /--percent expects a whole number from 1 to 100/);
  assert.equal(await body('/greeter/'), 'hello v1 127.0.0.1/greeter/ local=none', 'nothing changed');
});

test('the server URL and token can come from ISLET_SERVER and ISLET_ADMIN_TOKEN', () => {
  const other = makeProject({ 'index.js': `export default { fetch() { return new Response('from env'); } };\n` });
  process.env['ISLET_SERVER'] = serve.adminUrl;
  process.env['ISLET_ADMIN_TOKEN'] = TOKEN;
  try {
    const result = runIslet(['deploy', 'index.js', '--name', 'envdeploy'], other);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^Deployed envdeploy version 1 /m);
  } finally {
    delete process.env['ISLET_SERVER'];
    delete process.env['ISLET_ADMIN_TOKEN'];
    rmSync(other, { recursive: true, force: true });
  }
});

test('routes are the worker\'s: a config without routes keeps them, as wrangler does; a rollback keeps them too', async () => {
  const project = makeProject({
    'with-route.toml': 'name = "canary"\nmain = "index.js"\nroutes = ["canary.example.test/*"]\n',
    'no-route.toml': 'name = "canary"\nmain = "index.js"\n',
    'index.js': `export default { fetch(request, env) { return new Response(env.LABEL); } };\n`,
  });
  try {
    const first = serve.islet(['deploy', '--config', 'with-route.toml', '--var', 'LABEL:one'], project);
    assert.equal(first.code, 0, first.stderr);
    const second = serve.islet(['deploy', '--config', 'no-route.toml', '--var', 'LABEL:two', '--percent', '50'], project);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /Routes: +canary\.example\.test\/\*/);
    const labels = new Set<string>();
    for (let i = 0; i < 40; i++) labels.add(await body('/', 'canary.example.test'));
    // 40 requests of a 50/50 split all landing on one side: about once in 500 billion runs.
    assert.deepEqual([...labels].sort(), ['one', 'two']);

    const rolled = serve.islet(['rollback', 'canary', '--version', '2'], project);
    assert.equal(rolled.code, 0, rolled.stderr);
    assert.equal(await body('/', 'canary.example.test'), 'two');
    assert.match(serve.islet(['workers', 'get', 'canary'], project).stdout, /^Routes: +canary\.example\.test\/\*$/m);
  } finally {
    rmSync(project, { recursive: true, force: true });
  }
});
