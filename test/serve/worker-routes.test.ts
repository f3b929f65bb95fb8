// Routes belong to the worker, not to a version, as on Cloudflare: a rollback "becomes the active
// deployment across all your deployed routes", and a gradual deployment splits the traffic of the
// worker's routes between its versions. Only a deploy that carries routes changes them; one without
// keeps them, as wrangler leaves routes alone for a config without `route`/`routes`.
// @see https://developers.cloudflare.com/workers/configuration/versions-and-deployments/rollbacks/
// @see https://developers.cloudflare.com/workers/configuration/versions-and-deployments/gradual-deployments/
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestServe, type TestServe } from '../helpers/serve.js';

const says = (text: string) => `export default { fetch() { return new Response(${JSON.stringify(text)}); } }`;

let serve: TestServe;
before(async () => { serve = await startTestServe(); });
after(async () => { await serve.close(); });

/** How many of `count` requests for `host` each answer got. */
async function tally(host: string, count: number): Promise<Map<string, number>> {
  const seen = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    const answer = await serve.get('/', host);
    const key = `${answer.status} ${answer.body}`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  return seen;
}

test('a gradual deploy without routes splits the worker\'s routes between both versions', async () => {
  assert.equal((await serve.deploy('fresh', says('v1'), { config: { routes: ['fresh.test/*'] } })).status, 201);
  const canary = await serve.deploy('fresh', says('v2'), { percent: 10 });
  assert.equal(canary.status, 201, JSON.stringify(canary.json));
  assert.deepEqual(canary.json.worker.routes, ['fresh.test/*']);
  const seen = await tally('fresh.test', 200);
  assert.deepEqual([...seen.keys()].sort(), ['200 v1', '200 v2'], `answers: ${JSON.stringify([...seen])}`);
  // 10% of 200 is 20; fewer than 5 or more than 40 is far outside what a fair draw gives.
  const canaryShare = seen.get('200 v2') ?? 0;
  assert.ok(canaryShare >= 5 && canaryShare <= 40, `${canaryShare} of 200 requests went to the 10% version`);
});

test('a gradual deploy with other routes moves the worker\'s routes for every version, and says which it dropped', async () => {
  assert.equal((await serve.deploy('moved', says('v1'), { config: { routes: ['moved.test/*'] } })).status, 201);
  const canary = await serve.deploy('moved', says('v2'), { percent: 10, config: { routes: ['moved2.test/*'] } });
  assert.equal(canary.status, 201, JSON.stringify(canary.json));
  assert.deepEqual(canary.json.worker.routes, ['moved2.test/*']);
  assert.ok(canary.json.warnings.some((w: string) => w.includes('"moved.test/*"')), JSON.stringify(canary.json.warnings));
  const seen = await tally('moved2.test', 100);
  assert.deepEqual([...seen.keys()].sort(), ['200 v1', '200 v2'], 'the 90% version answers on the new route too');
  assert.equal((await serve.get('/', 'moved.test')).status, 404);
});

test('a rollback to a version deployed before a route existed keeps the route; no other worker can take it', async () => {
  const v1 = await serve.deploy('app', says('v1'));
  assert.equal(v1.status, 201);
  const v2 = await serve.deploy('app', says('v2'), { config: { routes: ['app.example.test/*'] } });
  assert.equal(v2.status, 201);

  const rolled = await serve.admin('POST', '/workers/app/rollback', { version: v1.json.version.id });
  assert.equal(rolled.status, 201, JSON.stringify(rolled.json));
  assert.deepEqual(await serve.get('/', 'app.example.test').then((r) => [r.status, r.body]), [200, 'v1']);
  assert.deepEqual((await serve.admin('GET', '/workers/app')).json.routes, ['app.example.test/*']);

  const intruder = await serve.deploy('intruder', says('intruder'), { config: { routes: ['app.example.test/*'] } });
  assert.equal(intruder.status, 409);
  assert.match(intruder.json.error.message, /already used by worker "app"/);

  const forward = await serve.admin('POST', '/workers/app/rollback', { version: v2.json.version.id });
  assert.equal(forward.status, 201, JSON.stringify(forward.json));
  assert.deepEqual(await serve.get('/', 'app.example.test').then((r) => [r.status, r.body]), [200, 'v2']);
});

test('a split over existing versions keeps the routes; an explicit empty list removes them', async () => {
  const one = await serve.deploy('kept', says('one'), { config: { routes: ['kept.test/*'] } });
  const two = await serve.deploy('kept', says('two'), { config: {} });
  assert.deepEqual(two.json.worker.routes, ['kept.test/*'], 'a deploy without routes keeps them');
  const split = await serve.admin('POST', '/workers/kept/deployments', {
    versions: [{ id: one.json.version.id, percent: 50 }, { id: two.json.version.id, percent: 50 }],
  });
  assert.equal(split.status, 201, JSON.stringify(split.json));
  assert.deepEqual([...(await tally('kept.test', 60)).keys()].sort(), ['200 one', '200 two']);

  const cleared = await serve.deploy('kept', says('three'), { config: { routes: [] } });
  assert.deepEqual(cleared.json.worker.routes, []);
  assert.equal((await serve.get('/', 'kept.test')).status, 404);
});
