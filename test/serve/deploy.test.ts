// Deploys, versions, routes, rollback and gradual rollout through the real admin API of a real server.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestServe, type TestServe } from '../helpers/serve.js';

const says = (text: string) => `export default { fetch(request) { return new Response(${JSON.stringify(text)} + ' ' + new URL(request.url).pathname); } }`;

let serve: TestServe;
before(async () => { serve = await startTestServe({ engines: 2 }); });
after(async () => { await serve.close(); });

test('the admin API answers 401 without a token or with a wrong one', async () => {
  const none = await serve.admin('GET', '/workers', undefined, null);
  assert.equal(none.status, 401);
  assert.equal(none.json.error.code, 'unauthorized');
  assert.match(String(none.headers['www-authenticate']), /^Bearer/);
  const wrong = await serve.admin('GET', '/workers', undefined, 'not-the-token-at-all');
  assert.equal(wrong.status, 401);
  assert.equal((await serve.admin('GET', '/health')).status, 200);
  const lowerCase = await fetch(`${serve.adminUrl}/api/v1/health`, { headers: { authorization: 'bearer test-admin-token-0123456789' } });
  assert.equal(lowerCase.status, 200, 'the auth scheme is case-insensitive (RFC 9110 section 11.1)');
});

test('a deployed worker answers on its route and on /<name>/; an unknown host is a 404', async () => {
  const deployed = await serve.deploy('greeter', says('hello'), { config: { routes: ['greet.example.com/*'] } });
  assert.equal(deployed.status, 201, JSON.stringify(deployed.json));
  assert.equal(deployed.json.version.number, 1);
  assert.deepEqual(deployed.json.deployment.versions.map((v: { percent: number }) => v.percent), [100]);

  assert.deepEqual(await serve.get('/any/path', 'greet.example.com').then((r) => [r.status, r.body]), [200, 'hello /any/path']);
  assert.deepEqual(await serve.get('/greeter/x', '127.0.0.1').then((r) => [r.status, r.body]), [200, 'hello /greeter/x']);
  const unknown = await serve.get('/', 'nobody.example.net');
  assert.equal(unknown.status, 404);
  assert.match(unknown.body, /No worker is routed for http:\/\/nobody\.example\.net\//);
});

test('every deploy makes a new version; rollback serves the previous one again', async () => {
  assert.equal((await serve.deploy('versioned', says('one'))).status, 201);
  const second = await serve.deploy('versioned', says('two'), { message: 'second' });
  assert.equal(second.json.version.number, 2);
  assert.equal((await serve.get('/versioned/')).body, 'two /versioned/');

  const versions = await serve.admin('GET', '/workers/versioned/versions');
  assert.deepEqual(versions.json.versions.map((v: { number: number; message: string | null }) => [v.number, v.message]), [[2, 'second'], [1, null]]);

  const rolled = await serve.admin('POST', '/workers/versioned/rollback', {});
  assert.equal(rolled.status, 201, JSON.stringify(rolled.json));
  assert.deepEqual(rolled.json.deployment.versions.map((v: { number: number }) => v.number), [1]);
  assert.equal((await serve.get('/versioned/')).body, 'one /versioned/');
  // Rolling back names a version explicitly too, and versions are immutable: v2 still says "two".
  await serve.admin('POST', '/workers/versioned/rollback', { version: second.json.version.id });
  assert.equal((await serve.get('/versioned/')).body, 'two /versioned/');
});

test('a deploy whose module throws is refused with its error, and the previous version keeps serving', async () => {
  await serve.deploy('steady', says('v1'));
  const failed = await serve.deploy('steady', `throw new Error('broken at top level'); export default {};`);
  assert.equal(failed.status, 422);
  assert.equal(failed.json.error.code, 'deploy_failed');
  assert.match(failed.json.error.message, /broken at top level/);
  assert.equal((await serve.get('/steady/')).body, 'v1 /steady/');
  const versions = await serve.admin('GET', '/workers/steady/versions');
  assert.equal(versions.json.versions.length, 1, 'the failed version is not kept');
  const syntax = await serve.deploy('steady', 'export default {');
  assert.equal(syntax.status, 422);
});

test('a gradual rollout splits 1,000 requests within 5 points of the asked share; a sticky header keeps a client on one side', async () => {
  await serve.deploy('split', says('old'));
  const rollout = await serve.deploy('split', says('new'), { percent: 30 });
  assert.equal(rollout.status, 201, JSON.stringify(rollout.json));
  assert.deepEqual(rollout.json.deployment.versions.map((v: { percent: number }) => v.percent).sort(), [30, 70]);
  let fresh = 0;
  for (let i = 0; i < 1000; i++) if ((await serve.get('/split/')).body.startsWith('new')) fresh++;
  assert.ok(Math.abs(fresh - 300) <= 50, `${fresh} of 1000 requests went to the new version; expected 300 ± 50`);

  await serve.admin('POST', '/workers/split/deployments', { versions: rollout.json.deployment.versions.map((v: { id: string; percent: number }) => ({ id: v.id, percent: v.percent })), sticky: { header: 'x-user' } });
  let stickyNew = 0;
  for (let user = 0; user < 200; user++) {
    const first = (await serve.get('/split/', undefined, { 'x-user': `user-${user}` })).body;
    for (let again = 0; again < 3; again++) assert.equal((await serve.get('/split/', undefined, { 'x-user': `user-${user}` })).body, first, `user-${user} changed sides`);
    if (first.startsWith('new')) stickyNew++;
  }
  assert.ok(Math.abs(stickyNew - 60) <= 20, `${stickyNew} of 200 users on the new version; expected about 60`);
});

test('a route another worker owns is a conflict, and the deploy changes nothing', async () => {
  await serve.deploy('owner', says('owner'), { config: { routes: ['shared.example.com/*'] } });
  const clash = await serve.deploy('intruder', says('intruder'), { config: { routes: ['shared.example.com/*'] } });
  assert.equal(clash.status, 409);
  assert.match(clash.json.error.message, /already used by worker "owner"/);
  assert.equal((await serve.get('/', 'shared.example.com')).body, 'owner /');
  assert.equal((await serve.admin('GET', '/workers/intruder')).status, 404);
  const viaScheme = await serve.deploy('intruder', says('intruder'), { config: { routes: ['http://shared.example.com/*'] } });
  assert.equal(viaScheme.status, 409, 'the same traffic named with a scheme is the same route');
  assert.equal((await serve.get('/intruder/', 'shared.example.com')).body, 'owner /intruder/', 'nor does /<name>/ reach another worker on an owned host');
});

test('bad deploy bodies are refused with 400 naming the field', async () => {
  const noCode = await serve.admin('PUT', '/workers/bad', { config: {} });
  assert.equal(noCode.status, 400);
  assert.match(noCode.json.error.message, /code/);
  const badName = await serve.deploy('Bad Name', says('x'));
  assert.equal(badName.status, 400);
  const badLimit = await serve.deploy('bad', says('x'), { config: { limits: { cpuMs: -1 } } });
  assert.equal(badLimit.status, 400);
  assert.match(badLimit.json.error.message, /cpuMs/);
  const notJson = await fetch(`${serve.adminUrl}/api/v1/workers/bad`, { method: 'PUT', headers: { authorization: 'Bearer test-admin-token-0123456789' }, body: '{' });
  assert.equal(notJson.status, 400);
});

test('deleting a worker removes its routes and versions', async () => {
  await serve.deploy('doomed', says('bye'), { config: { routes: ['doomed.example.com/*'] } });
  assert.equal((await serve.admin('DELETE', '/workers/doomed')).status, 200);
  assert.equal((await serve.get('/', 'doomed.example.com')).status, 404);
  assert.equal((await serve.get('/doomed/')).status, 404);
  assert.equal((await serve.admin('GET', '/workers/doomed/versions')).status, 404);
});

test('a request in flight when a new version is deployed finishes on the old version', async () => {
  const slow = (tag: string) => `export default { async fetch() { await new Promise((r) => setTimeout(r, 600)); return new Response('${tag}'); } }`;
  await serve.deploy('handover', slow('old'));
  const inFlight = serve.get('/handover/');
  await new Promise((r) => setTimeout(r, 200));
  assert.equal((await serve.deploy('handover', slow('new'))).status, 201);
  assert.deepEqual(await inFlight.then((r) => [r.status, r.body]), [200, 'old']);
  assert.equal((await serve.get('/handover/')).body, 'new');
});
