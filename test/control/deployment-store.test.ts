import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { DatabaseSync } from 'node:sqlite';
import { ControlError, type ControlErrorCode } from '../../src/host/control/control-error.js';
import { DeploymentStore, type CreateVersionInput } from '../../src/host/control/deployment-store.js';
import type { VersionConfig } from '../../src/host/control/model.js';

const root = mkdtempSync(join(tmpdir(), 'islet-control-'));
after(() => rmSync(root, { recursive: true, force: true }));

let dirs = 0;
const freshDir = (): string => join(root, `data-${++dirs}`);

/** A store on a fresh directory, closed when the test ends. */
function open(t: { after(fn: () => void): void }, dir = freshDir()): DeploymentStore {
  const store = new DeploymentStore(dir);
  t.after(() => store.close());
  return store;
}

function config(overrides: Partial<VersionConfig> = {}): VersionConfig {
  return { compatibilityDate: '2025-01-01', vars: { GREETING: 'hello' }, kvNamespaces: [], limits: { cpuMs: 50 }, ...overrides };
}

function input(worker: string, overrides: Partial<CreateVersionInput> = {}): CreateVersionInput {
  return { worker, tenant: null, code: `export default { fetch() { return new Response('${worker}') } }`, sourceMap: null, config: config(), message: null, ...overrides };
}

function fails(run: () => unknown, code: ControlErrorCode, message: string | RegExp): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof ControlError, `expected a ControlError, got ${String(error)}`);
    assert.equal(error.code, code);
    if (typeof message === 'string') assert.equal(error.message, message);
    else assert.match(error.message, message);
    return true;
  });
}

/** Creates and deploys a version at 100%. */
function ship(store: DeploymentStore, worker: string, routes: string[] | null = [], overrides: Partial<CreateVersionInput> = {}): string {
  const version = store.createVersion(input(worker, overrides));
  store.deploy(worker, [{ id: version.id, percent: 100 }], null, routes);
  return version.id;
}

describe('DeploymentStore: file', () => {
  test('one file, <dir>/control.sqlite, readable by its owner only, its WAL too', (t) => {
    const dir = freshDir();
    const store = open(t, dir);
    ship(store, 'hello');
    assert.equal(store.path, join(dir, 'control.sqlite'));
    assert.equal(statSync(store.path).mode & 0o777, 0o600);
    assert.equal(statSync(`${store.path}-wal`).mode & 0o777, 0o600);
  });

  test('keeps everything across close and reopen', (t) => {
    const dir = freshDir();
    const first = new DeploymentStore(dir);
    const v1 = ship(first, 'shop', ['shop.example.com/*'], { tenant: 'acme', message: 'first', sourceMap: '{"version":3,"mappings":""}' });
    const v2 = first.createVersion(input('shop', { config: config({ vars: { GREETING: 'hi', N: { deep: [1] } } }) })).id;
    const deployment = first.deploy('shop', [{ id: v2, percent: 20 }, { id: v1, percent: 80 }], { cookie: 'sid' }, null);
    first.putSecret('shop', 'API_KEY', 's3cret');
    first.setQuarantine('shop', 'killed its engine 3 times');
    const before = { worker: first.getWorker('shop'), v1: first.getVersion(v1), versions: first.listVersions('shop') };
    first.close();

    const second = open(t, dir);
    assert.deepEqual(second.getWorker('shop'), before.worker);
    assert.deepEqual(second.getWorker('shop')?.deployment, deployment);
    assert.equal(second.getWorker('shop')?.tenant, 'acme');
    assert.deepEqual(second.getWorker('shop')?.quarantine?.reason, 'killed its engine 3 times');
    assert.deepEqual(second.getVersion(v1), before.v1);
    assert.equal(second.getVersion(v1)?.sourceMap, '{"version":3,"mappings":""}');
    assert.equal(second.getVersion(v1)?.message, 'first');
    assert.deepEqual(second.getVersion(v2)?.config.vars, { GREETING: 'hi', N: { deep: [1] } });
    assert.deepEqual(second.listVersions('shop'), before.versions);
    assert.deepEqual(second.routes(), [{ pattern: 'shop.example.com/*', worker: 'shop' }]);
    assert.deepEqual(second.secrets('shop'), { API_KEY: 's3cret' });
    assert.deepEqual(second.previousDeployment('shop')?.versions, [{ id: v1, percent: 100 }]);
  });

  test('a file of schema 1, whose versions carried routes, keeps serving its routes; the versions no longer claim them', (t) => {
    const dir = freshDir();
    const first = new DeploymentStore(dir);
    const v1 = ship(first, 'old', ['old.example.com/*']);
    first.close();
    // Schema 1 had the same tables and also wrote each deploy's routes into the version's config.
    const raw = new DatabaseSync(join(dir, 'control.sqlite'));
    raw.prepare(`UPDATE versions SET config = json_set(config, '$.routes', json('["old.example.com/*"]')) WHERE id = ?`).run(v1);
    raw.exec('PRAGMA user_version = 1');
    raw.close();

    const second = open(t, dir);
    assert.deepEqual(second.routes(), [{ pattern: 'old.example.com/*', worker: 'old' }]);
    assert.equal('routes' in second.getVersion(v1)!.config, false);
    assert.deepEqual(second.getVersion(v1)!.config, config());
    const check = new DatabaseSync(join(dir, 'control.sqlite'));
    t.after(() => check.close());
    assert.equal(check.prepare('PRAGMA user_version').get()?.['user_version'], 2);
  });

  test('two connections to one file (two processes) see each other and cannot both take a route', (t) => {
    const dir = freshDir();
    const a = open(t, dir);
    const b = open(t, dir);
    ship(a, 'one', ['x.example.com/*']);
    assert.equal(b.getWorker('one')?.name, 'one');
    const two = b.createVersion(input('two'));
    fails(() => b.deploy('two', [{ id: two.id, percent: 100 }], null, ['x.example.com/*']), 'conflict', 'route "x.example.com/*" is already used by worker "one"');
  });
});

describe('DeploymentStore: versions', () => {
  test('the first version creates the worker; numbers count up per worker; a version takes no traffic by itself', (t) => {
    const store = open(t);
    const v1 = store.createVersion(input('hello'));
    const v2 = store.createVersion(input('hello', { message: 'second' }));
    const other = store.createVersion(input('other'));
    assert.match(v1.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.deepEqual([v1.number, v2.number, other.number], [1, 2, 1]);
    assert.notEqual(v1.id, v2.id);
    const worker = store.getWorker('hello');
    assert.equal(worker?.tenant, 'hello', 'the tenant defaults to the worker name');
    assert.equal(worker?.deployment, null);
    assert.equal(worker?.quarantine, null);
    assert.deepEqual(store.getVersion(v2.id), v2);
    assert.equal(store.getVersion('nope'), null);
  });

  test('listVersions: newest first, without code', (t) => {
    const store = open(t);
    const ids = [1, 2, 3].map((n) => store.createVersion(input('w', { message: `m${n}` })).id);
    const listed = store.listVersions('w');
    assert.deepEqual(listed.map((v) => v.id), ids.reverse());
    assert.deepEqual(listed.map((v) => v.number), [3, 2, 1]);
    assert.equal('code' in listed[0]!, false);
    assert.equal(listed[0]?.message, 'm3');
    assert.deepEqual(store.listVersions('nobody'), []);
  });

  test('the tenant is fixed by the first version', (t) => {
    const store = open(t);
    store.createVersion(input('shop', { tenant: 'acme' }));
    assert.equal(store.createVersion(input('shop', { tenant: null })).number, 2, 'no tenant means the worker\'s own');
    assert.equal(store.createVersion(input('shop', { tenant: 'acme' })).number, 3);
    fails(() => store.createVersion(input('shop', { tenant: 'evil' })), 'conflict', 'worker "shop" belongs to tenant "acme"; a worker\'s tenant cannot change');
    assert.equal(store.listVersions('shop').length, 3);
    fails(() => store.createVersion(input('Shop')), 'invalid_request', /^"Shop" is not a valid worker name: use 1 to 63 lower-case letters/);
    fails(() => store.createVersion(input('shop2', { tenant: 'A' })), 'invalid_request', /^"A" is not a valid tenant name: use 1 to 63 lower-case letters/);
  });

  test('a new worker does not join an existing tenant by default; naming the tenant joins it', (t) => {
    const store = open(t);
    ship(store, 'billing-api', [], { tenant: 'billing' });
    fails(() => store.createVersion(input('billing')), 'conflict',
      /^tenant "billing" already exists \(workers: billing-api\).*set the tenant explicitly \(islet deploy --tenant billing\)/);
    assert.equal(store.getWorker('billing'), null, 'nothing was created');
    assert.equal(store.createVersion(input('billing', { tenant: 'billing' })).number, 1);
    assert.equal(store.getWorker('billing')?.tenant, 'billing');
    // The worker exists now: later versions without a tenant keep its own.
    assert.equal(store.createVersion(input('billing')).number, 2);
    // A tenant nobody else uses is still the worker's name by default.
    assert.equal(store.createVersion(input('solo')).number, 1);
    assert.equal(store.getWorker('solo')?.tenant, 'solo');
  });

  test('discardVersion: a version that never took traffic goes, and a worker that never ran goes with it', (t) => {
    const store = open(t);
    const failed = store.createVersion(input('fresh'));
    assert.equal(store.discardVersion(failed.id), true);
    assert.equal(store.getVersion(failed.id), null);
    assert.equal(store.getWorker('fresh'), null);
    assert.equal(store.discardVersion(failed.id), false);

    const live = ship(store, 'live');
    const bad = store.createVersion(input('live'));
    assert.equal(bad.number, 2);
    assert.equal(store.discardVersion(bad.id), true);
    assert.notEqual(store.getWorker('live'), null, 'a worker with a deployment stays');
    assert.equal(store.createVersion(input('live')).number, 2, 'the discarded number is free again');
    fails(() => store.discardVersion(live), 'conflict', new RegExp(`version ${live} of worker "live" has been deployed`));
    assert.notEqual(store.getVersion(live), null);
  });
});

describe('DeploymentStore: deployments', () => {
  test('deploy makes versions take traffic and appends to the history', (t) => {
    const store = open(t);
    const v1 = ship(store, 'w', ['w.example.com/*']);
    const v2 = store.createVersion(input('w')).id;
    const split = store.deploy('w', [{ id: v2, percent: 10 }, { id: v1, percent: 90 }], { header: 'x-user-id' }, null);
    assert.deepEqual(split.versions, [{ id: v2, percent: 10 }, { id: v1, percent: 90 }]);
    assert.deepEqual(split.sticky, { header: 'x-user-id' });
    assert.equal(split.worker, 'w');
    assert.deepEqual(store.getWorker('w')?.deployment, split);
    assert.deepEqual(store.previousDeployment('w')?.versions, [{ id: v1, percent: 100 }]);
    assert.deepEqual(store.workerRoutes('w'), ['w.example.com/*'], 'null routes keep them');

    // A rollback is a deploy of the previous deployment's versions; rolling back again returns.
    const previous = store.previousDeployment('w')!;
    store.deploy('w', previous.versions, previous.sticky, null);
    assert.deepEqual(store.getWorker('w')?.deployment?.versions, [{ id: v1, percent: 100 }]);
    assert.deepEqual(store.previousDeployment('w')?.versions, split.versions);
    assert.equal(store.previousDeployment('nobody'), null);
  });

  test('only the first deployment: no previous one', (t) => {
    const store = open(t);
    ship(store, 'w');
    assert.equal(store.previousDeployment('w'), null);
  });

  test('refuses unknown workers and versions, and bad splits', (t) => {
    const store = open(t);
    const v1 = ship(store, 'w');
    const foreign = store.createVersion(input('other')).id;
    fails(() => store.deploy('nobody', [{ id: v1, percent: 100 }], null, null), 'not_found', 'worker "nobody" does not exist');
    fails(() => store.deploy('w', [{ id: foreign, percent: 100 }], null, null), 'not_found', `versions[0].id: worker "w" has no version ${foreign}`);
    fails(() => store.deploy('w', [{ id: v1, percent: 90 }], null, null), 'invalid_request', 'versions: percentages must add up to 100, not 90');
    fails(() => store.deploy('w', [{ id: v1, percent: 50 }, { id: v1, percent: 50 }], null, null), 'invalid_request', `versions[1].id: lists version ${v1} a second time`);
    fails(() => store.deploy('w', [{ id: v1, percent: 100.5 }], null, null), 'invalid_request', /^versions\[0\]\.percent: /);
    fails(() => store.deploy('w', [], null, null), 'invalid_request', /^versions: must be a non-empty array/);
    fails(() => store.deploy('w', [{ id: v1, percent: 100 }], { header: 'bad header' }, null), 'invalid_request', /^sticky: /);
    fails(() => store.deploy('w', [{ id: v1, percent: 100 }], null, ['a.com/*.png']), 'invalid_request', /is not a valid route pattern/);
    fails(() => store.deploy('w', [{ id: v1, percent: 100 }], null, ['a.com/*', 'A.com/*']), 'invalid_request', 'routes[1]: repeats route "a.com/*"');
    assert.equal(store.previousDeployment('w'), null, 'none of these was recorded');
  });

  test('a deploy that conflicts on a route changes nothing', (t) => {
    const store = open(t);
    ship(store, 'a', ['a.example.com/*', 'shared.example.com/*']);
    const b1 = ship(store, 'b', ['b.example.com/*']);
    store.setQuarantine('b', 'crashed');
    const before = { worker: store.getWorker('b'), routes: store.routes() };
    const b2 = store.createVersion(input('b')).id;

    fails(() => store.deploy('b', [{ id: b2, percent: 100 }], null, ['b.example.com/*', 'new.example.com/*', 'SHARED.example.com/*']),
      'conflict', 'route "shared.example.com/*" is already used by worker "a"');
    assert.deepEqual(store.getWorker('b'), before.worker, 'deployment and quarantine unchanged');
    assert.deepEqual(store.routes(), before.routes, 'no route added or removed');
    assert.equal(store.previousDeployment('b'), null, 'no history entry');
    assert.deepEqual(store.getWorker('b')?.deployment?.versions, [{ id: b1, percent: 100 }]);
  });

  test('routes: replaced by each deploy; a freed pattern can be taken; a worker keeps its own', (t) => {
    const store = open(t);
    ship(store, 'a', ['x.example.com/*', 'y.example.com/*']);
    ship(store, 'a', ['Y.example.com/*', 'z.example.com']);
    assert.deepEqual(store.workerRoutes('a'), ['y.example.com/*', 'z.example.com/']);
    ship(store, 'b', ['x.example.com/*']);
    assert.deepEqual(store.routes(), [
      { pattern: 'y.example.com/*', worker: 'a' },
      { pattern: 'z.example.com/', worker: 'a' },
      { pattern: 'x.example.com/*', worker: 'b' },
    ]);
    ship(store, 'a', []);
    assert.deepEqual(store.workerRoutes('a'), []);
    // Different patterns, even overlapping ones, belong to different workers; precedence decides.
    ship(store, 'c', ['*.example.com/*', 'https://x.example.com/*']);
    assert.deepEqual(store.workerRoutes('c'), ['*.example.com/*', 'https://x.example.com/*']);
  });

  test('quarantine: set, cleared, and cleared by a deploy', (t) => {
    const store = open(t);
    const v1 = ship(store, 'w');
    assert.equal(store.setQuarantine('w', 'killed 3 engines in 60 s'), true);
    const quarantine = store.getWorker('w')?.quarantine;
    assert.equal(quarantine?.reason, 'killed 3 engines in 60 s');
    assert.ok(!Number.isNaN(Date.parse(quarantine?.at ?? '')));
    store.setQuarantine('w', null);
    assert.equal(store.getWorker('w')?.quarantine, null);
    store.setQuarantine('w', 'again');
    store.deploy('w', [{ id: v1, percent: 100 }], null, null);
    assert.equal(store.getWorker('w')?.quarantine, null);
    assert.equal(store.setQuarantine('nobody', 'x'), false);
  });

  test('listWorkers: sorted by name, each with its current deployment', (t) => {
    const store = open(t);
    const z = ship(store, 'zeta');
    const z2 = store.createVersion(input('zeta')).id;
    store.deploy('zeta', [{ id: z2, percent: 50 }, { id: z, percent: 50 }], null, null);
    ship(store, 'alpha');
    store.createVersion(input('mid'));
    const workers = store.listWorkers();
    assert.deepEqual(workers.map((w) => w.name), ['alpha', 'mid', 'zeta']);
    assert.equal(workers[1]?.deployment, null);
    assert.deepEqual(workers[2]?.deployment?.versions, [{ id: z2, percent: 50 }, { id: z, percent: 50 }]);
  });

  test('deleteWorker: versions, deployments, routes and secrets go', (t) => {
    const store = open(t);
    const v1 = ship(store, 'gone', ['gone.example.com/*']);
    store.putSecret('gone', 'TOKEN', 't');
    ship(store, 'stays', ['stays.example.com/*']);
    assert.equal(store.deleteWorker('gone'), true);
    assert.equal(store.getWorker('gone'), null);
    assert.equal(store.getVersion(v1), null);
    assert.deepEqual(store.listVersions('gone'), []);
    assert.equal(store.previousDeployment('gone'), null);
    assert.deepEqual(store.secrets('gone'), {});
    assert.deepEqual(store.routes(), [{ pattern: 'stays.example.com/*', worker: 'stays' }]);
    assert.equal(store.deleteWorker('gone'), false);
    // A new worker of the same name starts over.
    assert.equal(store.createVersion(input('gone', { tenant: 'someone-else' })).number, 1);
    ship(store, 'other', ['gone.example.com/*']);
  });
});

describe('DeploymentStore: secrets', () => {
  test('put, overwrite, list and delete', (t) => {
    const store = open(t);
    ship(store, 'w');
    store.putSecret('w', 'B_KEY', 'one');
    store.putSecret('w', 'A_KEY', 'two');
    store.putSecret('w', 'B_KEY', 'three');
    assert.deepEqual(store.secretNames('w'), ['A_KEY', 'B_KEY']);
    assert.deepEqual(store.secrets('w'), { A_KEY: 'two', B_KEY: 'three' });
    assert.equal(store.deleteSecret('w', 'A_KEY'), true);
    assert.equal(store.deleteSecret('w', 'A_KEY'), false);
    assert.deepEqual(store.secretNames('w'), ['B_KEY']);
    fails(() => store.putSecret('nobody', 'K', 'v'), 'not_found', 'worker "nobody" does not exist');
  });

  test('names are identifiers; values at most 5 KiB of UTF-8', (t) => {
    const store = open(t);
    ship(store, 'w');
    for (const name of ['MY-KEY', '1KEY', '', '__proto__', 'a b']) {
      fails(() => store.putSecret('w', name, 'v'), 'invalid_request', `secret name ${JSON.stringify(name)} is not a valid JavaScript identifier`);
    }
    store.putSecret('w', 'BIG', 'x'.repeat(5120));
    store.putSecret('w', '$ünïcode', 'é'.repeat(2560));
    fails(() => store.putSecret('w', 'BIG', 'x'.repeat(5121)), 'invalid_request', 'value: a secret is at most 5 KiB');
    fails(() => store.putSecret('w', 'BIG', 'é'.repeat(2561)), 'invalid_request', 'value: a secret is at most 5 KiB');
    assert.equal(store.secrets('w')['BIG'], 'x'.repeat(5120));
  });

  test('at most 128 per worker', (t) => {
    const store = open(t);
    ship(store, 'w');
    for (let i = 0; i < 128; i++) store.putSecret('w', `S${i}`, 'v');
    fails(() => store.putSecret('w', 'ONE_MORE', 'v'), 'invalid_request', 'worker "w" already has 128 secrets, the most it can have');
    store.putSecret('w', 'S0', 'replaced');
    assert.equal(store.secrets('w')['S0'], 'replaced');
  });

  test('a secret cannot share its name with a var or a binding, either way round (Cloudflare: "Binding name already in use")', (t) => {
    const store = open(t);
    const withKv = { config: config({ kvNamespaces: [{ binding: 'CACHE', id: 'cache' }] }) };
    ship(store, 'w', [], withKv);
    fails(() => store.putSecret('w', 'CACHE', 'v'), 'conflict', /^secret "CACHE": the worker already has a KV namespace binding of that name/);
    fails(() => store.putSecret('w', 'GREETING', 'v'), 'conflict', /^secret "GREETING": the worker already has a var of that name/);
    assert.deepEqual(store.secretNames('w'), [], 'nothing was stored');

    ship(store, 'v', [], { config: config({ vars: {} }) });
    store.putSecret('v', 'CACHE', 'v');
    store.putSecret('v', 'GREETING', 'v');
    fails(() => store.createVersion(input('v', withKv)), 'conflict', /^var "GREETING" has the name of one of the worker's secrets.*islet secret delete v GREETING/);
    fails(() => store.createVersion(input('v', { config: config({ vars: {}, kvNamespaces: [{ binding: 'CACHE', id: 'cache' }] }) })), 'conflict', /^KV namespace binding "CACHE" has the name of one of the worker's secrets/);
    fails(() => store.createVersion(input('v', { config: config({ vars: {}, services: [{ binding: 'CACHE', service: 'x' }] }) })), 'conflict', /^service binding "CACHE"/);
    assert.equal(store.listVersions('v').length, 1);
  });
});
