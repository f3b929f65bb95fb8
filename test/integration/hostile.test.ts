// Hostile tenants, one fixture each (test/fixtures/workers/<behaviour>/index.js), each served next to a
// well-behaved neighbour in the same host. Whatever the fixture does, its own request must end with
// the right status and a log line saying why, the neighbour must keep answering, and the hostile
// worker must serve a normal request afterwards wherever that can make sense.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import type { WorkerLimits } from '../../src/host/workers/worker-config.js';
import { startWorkers, type WorkerServer } from '../helpers/worker-server.js';

const NEIGHBOUR = `let served = 0;
export default { async fetch(request) {
  served++;
  await null;
  return Response.json({ neighbour: true, served });
} };`;

/** A 50 ms CPU limit must cut a request off well under a second after it starts. */
const CPU_LIMIT_BOUND_MS = 900;

function fixture(name: string): string {
  return readFileSync(new URL(`../fixtures/workers/${name}/index.js`, import.meta.url), 'utf8');
}

async function withHostile(name: string, limits: Partial<WorkerLimits>, body: (server: WorkerServer) => Promise<void>): Promise<void> {
  const server = await startWorkers([
    { name, code: fixture(name), filename: `${name}/index.js`, limits },
    { name: 'neighbour', code: NEIGHBOUR },
  ]);
  try {
    await body(server);
  } finally {
    await server.close();
  }
}

async function get(server: WorkerServer, path: string): Promise<{ status: number; text: string; ms: number }> {
  const started = performance.now();
  const response = await server.fetch(path);
  const text = await response.text();
  return { status: response.status, text, ms: performance.now() - started };
}

async function neighbourAnswers(server: WorkerServer): Promise<void> {
  const reply = await get(server, '/neighbour/');
  assert.equal(reply.status, 200, reply.text);
  assert.equal((JSON.parse(reply.text) as { neighbour: boolean }).neighbour, true);
}

/** Sends the hostile request with a neighbour request in flight beside it, then one more after. */
async function besideNeighbour(server: WorkerServer, path: string): Promise<{ status: number; text: string; ms: number }> {
  const [hostile] = await Promise.all([get(server, path), neighbourAnswers(server)]);
  await neighbourAnswers(server);
  return hostile;
}

function logsOf(server: WorkerServer, worker: string): string {
  return server.logs.lines.filter((line) => line.worker === worker).map((line) => line.message).join('\n');
}

/** Nothing of the exception, the runtime or the host may reach the client. */
function assertGenericBody(text: string): void {
  for (const leak of ['secret', 'hunter2', 'abc123', ' at ', 'islet:runtime', 'src/', '.ts', 'node:', 'isolated-vm']) {
    assert.ok(!text.includes(leak), `response body leaks ${JSON.stringify(leak)}: ${text}`);
  }
}

/** Host internals must stay out of what the tenant reads in its logs, too. */
function assertNoHostFrames(log: string): void {
  for (const leak of ['src/host', 'isolated-vm boundary', 'node:internal', 'islet:runtime']) {
    assert.ok(!log.includes(leak), `log leaks ${JSON.stringify(leak)}:\n${log}`);
  }
}

async function recovers(server: WorkerServer, name: string): Promise<string> {
  const reply = await get(server, `/${name}/?ok`);
  assert.equal(reply.status, 200, reply.text);
  return reply.text;
}

describe('CPU limit', () => {
  for (const name of ['cpu-loop', 'cpu-loop-in-microtask', 'cpu-loop-in-timer']) {
    test(`${name}: 503 within a bound, neighbour unaffected, worker recovers`, () => withHostile(name, { cpuMs: 50 }, async (server) => {
      await recovers(server, name); // warm, so the bound measures the limit and not a cold start
      const reply = await besideNeighbour(server, `/${name}/`);
      assert.equal(reply.status, 503, reply.text);
      assert.match(reply.text, /CPU time limit/);
      assert.ok(reply.ms < CPU_LIMIT_BOUND_MS, `cut off after ${Math.round(reply.ms)} ms`);
      assert.match(logsOf(server, name), /exceeded its CPU time limit/);
      assert.equal(await recovers(server, name), `${name} ok`);
    }));
  }

  test('timer-flood: the response arrives, the flood is stopped by its CPU budget, neighbour unaffected', () =>
    withHostile('timer-flood', { cpuMs: 50 }, async (server) => {
      const reply = await besideNeighbour(server, '/timer-flood/');
      assert.equal(reply.status, 200, reply.text);
      assert.equal(reply.text, 'timer-flood responded');
      for (let i = 0; i < 5; i++) await neighbourAnswers(server);
      const ticks = async () => (JSON.parse(await recovers(server, 'timer-flood')) as { ticks: number }).ticks;
      // The flood must end on its own: the tick count stops moving. Either the request is stopped
      // between ticks or, when one tick overruns what is left of the budget, the isolate is replaced
      // (and the count starts again from zero); both are the CPU limit at work.
      const deadline = Date.now() + 10_000;
      let previous = -1;
      for (;;) {
        const now = await ticks();
        if (now === previous) break;
        assert.ok(Date.now() < deadline, `the flood is still running after 10 s (${now} ticks)`);
        previous = now;
        await new Promise((resolve) => setTimeout(resolve, 150));
      }
      assert.match(logsOf(server, 'timer-flood'), /exceeded its CPU time limit/);
      await neighbourAnswers(server);
    }));
});

describe('memory limit', () => {
  test('heap-bomb: 503, the isolate is replaced and the same worker serves the next request', () =>
    withHostile('heap-bomb', { cpuMs: 10_000, memoryMb: 32 }, async (server) => {
      const reply = await besideNeighbour(server, '/heap-bomb/');
      assert.equal(reply.status, 503, reply.text);
      assert.match(reply.text, /memory limit/);
      assert.match(logsOf(server, 'heap-bomb'), /exceeded its memory limit/);
      // A fresh isolate: the hoard the bomb built is gone.
      assert.equal(await recovers(server, 'heap-bomb'), 'heap-bomb ok 0');
      await neighbourAnswers(server);
    }));
});

describe('exceptions', () => {
  const cases = [
    { name: 'throw-sync', logged: /Uncaught Error: secret-sync-detail: database password is hunter2\n\s+at .*throw-sync\/index\.js:\d+:\d+/ },
    { name: 'reject-async', logged: /Uncaught TypeError: secret-async-detail: token abc123\n\s+at .*reject-async\/index\.js:\d+:\d+/ },
    { name: 'deep-recursion', logged: /Uncaught RangeError: Maximum call stack size exceeded\n\s+at descend \(deep-recursion\/index\.js:\d+:\d+\)/ },
    { name: 'returns-non-response', logged: /Uncaught TypeError: Incorrect type for Promise: the Promise did not resolve to 'Response'\./ },
    // Not a Response though `instanceof Response` says so: the same error, not an internal one.
    { name: 'returns-fake-response', logged: /Uncaught TypeError: Incorrect type for Promise: the Promise did not resolve to 'Response'\./ },
  ];
  for (const { name, logged } of cases) {
    test(`${name}: 500 with a generic body, the error logged, worker recovers`, () => withHostile(name, { cpuMs: 50 }, async (server) => {
      const reply = await besideNeighbour(server, `/${name}/`);
      assert.equal(reply.status, 500, reply.text);
      assertGenericBody(reply.text);
      const log = logsOf(server, name);
      assert.match(log, logged);
      assertNoHostFrames(log);
      assert.equal(await recovers(server, name), `${name} ok`);
    }));
  }

  test('a Proxy of a Response is not a Response either: 500 and Workers\' error', () => withHostile('returns-fake-response', { cpuMs: 50 }, async (server) => {
    const reply = await besideNeighbour(server, '/returns-fake-response/?proxy');
    assert.equal(reply.status, 500, reply.text);
    assert.match(logsOf(server, 'returns-fake-response'), /did not resolve to 'Response'/);
  }));

  test('never-resolves: 500 and "will never generate a response" logged, worker recovers', () =>
    withHostile('never-resolves', { cpuMs: 50 }, async (server) => {
      const reply = await besideNeighbour(server, '/never-resolves/');
      assert.equal(reply.status, 500, reply.text);
      assertGenericBody(reply.text);
      assert.match(logsOf(server, 'never-resolves'), /will never generate a response/);
      assert.equal(await recovers(server, 'never-resolves'), 'never-resolves ok');
    }));

  test('unhandled-rejection: logged as "Uncaught (in promise)", the request and the isolate carry on', () =>
    withHostile('unhandled-rejection', { cpuMs: 50 }, async (server) => {
      const [first, second] = await Promise.all([get(server, '/unhandled-rejection/'), get(server, '/unhandled-rejection/')]);
      assert.deepEqual([first.status, second.status], [200, 200]);
      assert.match(logsOf(server, 'unhandled-rejection'), /Uncaught \(in promise\) Error: stray-rejection: nobody awaits this\n\s+at .*unhandled-rejection\/index\.js/);
      assertNoHostFrames(logsOf(server, 'unhandled-rejection'));
      // The same isolate: its module state has counted every request.
      assert.equal(await recovers(server, 'unhandled-rejection'), 'unhandled-rejection served 3');
      await neighbourAnswers(server);
    }));

  test('waituntil-forever: the response still arrives, and the next one too', () =>
    withHostile('waituntil-forever', { cpuMs: 50 }, async (server) => {
      for (let i = 0; i < 2; i++) {
        const reply = await besideNeighbour(server, '/waituntil-forever/');
        assert.equal(reply.status, 200, reply.text);
        assert.equal(reply.text, 'waituntil-forever responded');
      }
      assert.equal(logsOf(server, 'waituntil-forever'), '');
    }));
});

describe('modules that cannot start', () => {
  const cases = [
    { name: 'top-level-throw', logged: /Worker failed to start: Uncaught Error: top-level-throw: configuration missing\n\s+at top-level-throw\/index\.js:2:\d+/ },
    // A module with only scheduled() loads (a cron-only worker); a request to it fails as on Workers.
    { name: 'no-fetch-handler', logged: /^Uncaught Error: Handler does not export a fetch\(\) function\./ },
    { name: 'top-level-cpu-loop', logged: /Worker failed to start: Evaluating the module exceeded the startup CPU time limit of \d+ ms\./ },
  ];
  for (const { name, logged } of cases) {
    test(`${name}: 500 and a logged error naming the problem, every time`, () => withHostile(name, { cpuMs: 50 }, async (server) => {
      for (let i = 0; i < 2; i++) {
        const reply = await besideNeighbour(server, `/${name}/`);
        assert.equal(reply.status, 500, reply.text);
        assertGenericBody(reply.text);
      }
      const lines = server.logs.lines.filter((line) => line.worker === name);
      assert.equal(lines.length, 2, 'each failed request is logged with its own trace id');
      for (const line of lines) assert.match(line.message, logged);
      assertNoHostFrames(logsOf(server, name));
    }));
  }
});

describe('response size', () => {
  test('huge-response (string): a body past the 128 MiB limit is a 500, worker recovers', () =>
    withHostile('huge-response', { cpuMs: 5_000, memoryMb: 512 }, async (server) => {
      const reply = await besideNeighbour(server, '/huge-response/?kind=string');
      assert.equal(reply.status, 500, reply.text.slice(0, 200));
      assertGenericBody(reply.text);
      assert.match(logsOf(server, 'huge-response'), /exceeded the limit of 134217728 bytes/);
      assert.equal(await recovers(server, 'huge-response'), 'huge-response ok');
    }));

  test('huge-response (stream): a stream body is not held to that limit, it streams through whole', () =>
    withHostile('huge-response', { cpuMs: 5_000, memoryMb: 512 }, async (server) => {
      const reply = await besideNeighbour(server, '/huge-response/?kind=stream');
      assert.equal(reply.status, 200);
      assert.equal(reply.text.length, 200 * 1024 * 1024);
      assert.equal(await recovers(server, 'huge-response'), 'huge-response ok');
    }));
});
