// Durable Objects in islet serve: through a deploy, in an engine process, across a restart of the
// whole server on a kept data directory, and next to an object that loops.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { engineSlot } from '../../src/host/engines/supervisor.js';
import { defaultServeConfig } from '../../src/host/platform/serve-config.js';
import { startTestServe } from '../helpers/serve.js';
import { ALARM_BINDINGS, ALARM_WORKER, waitFor, type AlarmState } from './alarm-worker.js';

const COUNTER = `
export class Counter {
  constructor(state) { this.state = state; }
  async fetch(request) {
    if (new URL(request.url).pathname.endsWith('/spin')) { for (;;) {} }
    const n = ((await this.state.storage.get('n')) ?? 0) + 1;
    await this.state.storage.put('n', n);
    return new Response(String(n));
  }
}
export default { fetch: (request, env) => env.COUNTER.getByName(new URL(request.url).searchParams.get('name') ?? 'c').fetch(request) };
`;
const config = { durableObjects: [{ binding: 'COUNTER', className: 'Counter' }], limits: { cpuMs: 200 } };

const dataDir = mkdtempSync(join(tmpdir(), 'islet-do-serve-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));

describe('Durable Objects in islet serve', () => {
  test('a deploy whose bound class is not exported fails with the class named', async () => {
    const serve = await startTestServe({ engines: 0 });
    try {
      const answer = await serve.deploy('broken', 'export default { fetch() { return new Response("x"); } };', { config: { durableObjects: [{ binding: 'C', className: 'Missing' }] } });
      assert.equal(answer.status, 422);
      assert.equal(answer.json.error.code, 'deploy_failed');
      assert.match(answer.json.error.message, /Durable Object class "Missing", which is not exported/);
      const unknown = await serve.deploy('broken', 'export default {};', { config: { durableObjects: [{ binding: 'C', className: 'X', scriptName: 'other' }] } });
      assert.equal(unknown.status, 400);
    } finally {
      await serve.close();
    }
  });

  test('50 concurrent increments in an engine process, state kept across a restart, alarms fired after it', { timeout: 60_000 }, async () => {
    const first = await startTestServe({ engines: 1 }, dataDir);
    try {
      assert.equal((await first.deploy('counter', COUNTER, { config })).status, 201);
      const answers = await Promise.all(Array.from({ length: 50 }, () => first.get('/counter/inc')));
      assert.deepEqual(answers.map((a) => Number(a.body)).sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i + 1));
      assert.equal((await first.deploy('clock', ALARM_WORKER, { config: { durableObjects: ALARM_BINDINGS } })).status, 201);
      assert.equal((await first.get('/clock/set?in=2000&name=late')).status, 200);
    } finally {
      await first.close();
    }
    const second = await startTestServe({ engines: 1 }, dataDir);
    try {
      assert.equal((await second.get('/counter/inc')).body, '51');
      const state = await waitFor(async () => JSON.parse((await second.get('/clock/state?name=late')).body) as AlarmState, (s) => s.runs.length > 0, 8_000);
      assert.equal(state.runs.length, 1, 'the alarm set before the restart fired after it');
    } finally {
      await second.close();
    }
  });

  test('SQL that never ends: the silent engine is killed and replaced, its worker blamed, and the neighbour served', { timeout: 60_000 }, async () => {
    // A recursive CTE without end runs inside SQLite, on the engine's thread, out of reach of the CPU
    // limit that interrupts JavaScript: only the supervisor's watchdog can stop it.
    const SQL_LOOP = `
export class Sink {
  constructor(state) { this.state = state; }
  fetch() {
    const rows = this.state.storage.sql.exec('WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) AS n FROM c').toArray();
    return new Response(String(rows[0].n));
  }
}
export default { fetch: (request, env) => env.SINK.getByName('s').fetch(request) };
`;
    const serve = await startTestServe({ engines: 2, pool: { ...defaultServeConfig('').pool, spares: 1, hangMs: 2_000 } });
    try {
      assert.equal((await serve.deploy('sink', SQL_LOOP, { config: { durableObjects: [{ binding: 'SINK', className: 'Sink' }] } })).status, 201);
      // The neighbour runs in the other engine (engines are chosen by worker name).
      const neighbour = ['calm', 'calm1', 'calm2', 'calm3', 'calm4', 'calm5'].find((name) => engineSlot(name, 2) !== engineSlot('sink', 2))!;
      assert.equal((await serve.deploy(neighbour, COUNTER, { config })).status, 201);
      const hung = serve.get('/sink/');
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal((await serve.get(`/${neighbour}/inc`)).body, '1', 'the other engine answers while one is stuck');
      assert.equal((await hung).status, 502, 'the stuck request ends when its engine is killed');
      assert.ok(serve.logs.lines.some((l) => l.worker === 'sink' && /engine running this worker stopped/.test(l.message)), 'the worker whose code was running is blamed');
      assert.equal((await serve.get(`/${neighbour}/inc`)).body, '2');
    } finally {
      await serve.close();
    }
  });

  test('an object that loops is cut off; other objects keep their state and answer', { timeout: 30_000 }, async () => {
    const serve = await startTestServe({ engines: 1 });
    try {
      assert.equal((await serve.deploy('counter', COUNTER, { config })).status, 201);
      assert.equal((await serve.deploy('other', COUNTER, { config })).status, 201);
      assert.equal((await serve.get('/counter/inc?name=calm')).body, '1');
      assert.equal((await serve.get('/other/inc?name=calm')).body, '1');
      const spun = await serve.get('/counter/spin?name=hostile');
      // The object is reset and its stub's fetch() throws in the caller, which does not catch it here.
      assert.equal(spun.status, 500, 'the loop is cut off, and the caller sees it as an exception');
      assert.equal((await serve.get('/counter/inc?name=calm')).body, '2', 'storage survives the object being reset');
      assert.equal((await serve.get('/other/inc?name=calm')).body, '2');
      assert.ok(serve.logs.lines.some((l) => /CPU time limit/.test(l.message)));
    } finally {
      await serve.close();
    }
  });
});
