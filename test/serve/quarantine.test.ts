// A worker that keeps killing its engine process is quarantined at the front door, with the reason
// shown in the admin API, until it is deployed again; its neighbours never notice.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../helpers/cli.js';
import { startTestServe } from '../helpers/serve.js';

const BOMB = readFileSync(join(ROOT, 'test/fixtures/workers/heap-bomb-hashtable/index.js'), 'utf8');

test('three engine crashes quarantine the worker that caused them; a redeploy lifts it', { timeout: 120_000 }, async () => {
  const serve = await startTestServe({ engines: 2 });
  try {
    assert.equal((await serve.deploy('calm', `export default { fetch() { return new Response('calm'); } }`)).status, 201);
    assert.equal((await serve.deploy('bomb', BOMB, { config: { limits: { memoryMb: 16, cpuMs: 10_000 } } })).status, 201);
    assert.equal((await serve.deploy('bomb', BOMB + '\n// v2', { config: { limits: { memoryMb: 16, cpuMs: 10_000 } } })).status, 201);
    for (let crash = 1; crash <= 3; crash++) {
      const blown = await serve.get('/bomb/');
      assert.ok(blown.status === 502 || blown.status === 503, `crash ${crash}: ${blown.status} ${blown.body}`);
      assert.equal((await serve.get('/calm/')).body, 'calm', `the neighbour answers after crash ${crash}`);
    }
    const quarantined = await serve.get('/bomb/?ok');
    assert.equal(quarantined.status, 503);
    assert.match(quarantined.body, /quarantined/);
    const info = await serve.admin('GET', '/workers/bomb');
    assert.notEqual(info.json.quarantine, null);
    assert.match(info.json.quarantine.reason, /engine/);
    assert.equal((await serve.admin('GET', '/workers/calm')).json.quarantine, null);

    // Any new deployment lifts it, in the admin API and at the front door alike: a rollback too.
    assert.equal((await serve.admin('POST', '/workers/bomb/rollback', {})).status, 201);
    assert.equal((await serve.admin('GET', '/workers/bomb')).json.quarantine, null);
    assert.match((await serve.get('/bomb/?ok')).body, /^heap-bomb-hashtable ok 0$/);
    for (let crash = 1; crash <= 3; crash++) await serve.get('/bomb/');
    assert.equal((await serve.get('/bomb/?ok')).status, 503, 'quarantined again');
    assert.equal((await serve.deploy('bomb', BOMB, { config: { limits: { memoryMb: 16, cpuMs: 10_000 } } })).status, 201);
    assert.equal((await serve.admin('GET', '/workers/bomb')).json.quarantine, null);
    assert.match((await serve.get('/bomb/?ok')).body, /^heap-bomb-hashtable ok 0$/);
  } finally {
    await serve.close();
  }
});
