// Cron triggers under islet serve: a scheduled-only module deploys, runs through the admin route and
// through the scheduler's real timer (with a clock set just before a minute boundary), its last run is
// recorded and shown, and a run missed while the server was down is made up once at start.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { SchedulerClock } from '../../src/host/scheduling/cron-scheduler.js';
import { startTestServe, type TestServe } from '../helpers/serve.js';

const SCHEDULED_ONLY = `export default {
  async scheduled(controller, env, ctx) {
    console.log('scheduled ' + controller.cron + ' ' + controller.scheduledTime + ' ' + typeof controller.noRetry);
  },
}`;
const THROWS = `export default {
  async scheduled(controller) { throw new Error('cron job failed: ' + controller.cron); },
  fetch() { return new Response('ok'); },
}`;

/** A clock `offset.ms` ahead of the system's, with real timers. */
function shiftedClock(offset: { ms: number }): SchedulerClock {
  return {
    now: () => Date.now() + offset.ms,
    setTimer: (fire, ms) => { const t = setTimeout(fire, ms); t.unref(); return t; },
    clearTimer: (t) => clearTimeout(t as NodeJS.Timeout),
  };
}

async function until<T>(check: () => T | undefined, timeoutMs = 8_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) assert.fail('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const scheduledLines = (serve: TestServe, worker: string) => serve.logs.lines
  .filter((l) => l.worker === worker && l.message.startsWith('scheduled ')).map((l) => l.message);

describe('cron triggers in islet serve', () => {
  let serve: TestServe;
  const offset = { ms: 0 };
  before(async () => { serve = await startTestServe({ engines: 1 }, undefined, { schedulerClock: shiftedClock(offset) }); });
  after(() => serve.close());

  test('a module with only a scheduled() handler deploys; a request to it gets 500 and Workers\' message in the log', async () => {
    const answer = await serve.deploy('ticker', SCHEDULED_ONLY, { config: { crons: ['* * * * *', '0 0 1 * *'] } });
    assert.equal(answer.status, 201, JSON.stringify(answer.json));
    const res = await fetch(`${serve.url}/ticker/`);
    assert.equal(res.status, 500);
    await res.text();
    assert.ok(serve.logs.lines.some((l) => l.worker === 'ticker' && /Handler does not export a fetch\(\) function\./.test(l.message)));
  });

  test('the scheduler fires "* * * * *" at the minute through its one real timer', async () => {
    // The clock moved so that a minute boundary comes 1.5 s from now; a deploy sets the triggers again.
    const soon = Date.now() + 1_500;
    const boundary = Math.ceil(soon / 60_000) * 60_000;
    offset.ms = boundary - soon;
    assert.equal((await serve.deploy('ticker', SCHEDULED_ONLY, { config: { crons: ['* * * * *', '0 0 1 * *'] } })).status, 201);
    const line = await until(() => scheduledLines(serve, 'ticker').find((l) => l.includes(`* * * * * ${boundary} `)))
      .catch((err: unknown) => assert.fail(`${String(err)} ${boundary} ${JSON.stringify(serve.logs.lines)}`));
    assert.equal(line, `scheduled * * * * * ${boundary} function`);
  });

  test('POST /workers/:name/scheduled runs it now; GET /workers/:name shows each trigger\'s next and last run', async () => {
    const time = Date.parse('2025-01-15T12:00:00Z');
    const answer = await serve.admin('POST', `/workers/ticker/scheduled?cron=${encodeURIComponent('0 0 1 * *')}&time=${time}`);
    assert.equal(answer.status, 200, JSON.stringify(answer.json));
    assert.equal(answer.json.outcome, 'ok');
    assert.equal(answer.json.scheduledTime, time);
    assert.ok(scheduledLines(serve, 'ticker').includes(`scheduled 0 0 1 * * ${time} function`));
    const worker = (await serve.admin('GET', '/workers/ticker')).json;
    const monthly = worker.triggers.find((t: { cron: string }) => t.cron === '0 0 1 * *');
    assert.equal(monthly.lastRun.outcome, 'ok');
    assert.equal(monthly.lastRun.scheduledTime, '2025-01-15T12:00:00.000Z');
    assert.match(monthly.next, /^\d{4}-\d{2}-01T00:00:00\.000Z$/);
    const everyMinute = worker.triggers.find((t: { cron: string }) => t.cron === '* * * * *');
    assert.equal(everyMinute.lastRun.outcome, 'ok');
  });

  test('a scheduled() that throws is recorded as an exception, with the error in the log', async () => {
    assert.equal((await serve.deploy('flaky', THROWS, { config: { crons: ['0 0 1 * *'] } })).status, 201);
    const answer = await serve.admin('POST', '/workers/flaky/scheduled');
    assert.equal(answer.json.outcome, 'exception');
    assert.ok(serve.logs.lines.some((l) => l.worker === 'flaky' && /cron job failed: 0 0 1 \* \*/.test(l.message)));
    const worker = (await serve.admin('GET', '/workers/flaky')).json;
    assert.equal(worker.triggers[0].lastRun.outcome, 'exception');
  });

  test('a deleted worker\'s triggers leave the scheduler', async () => {
    assert.equal((await serve.deploy('gone', SCHEDULED_ONLY, { config: { crons: ['0 0 1 * *'] } })).status, 201);
    assert.deepEqual(serve.running.platform.triggers('gone').map((t) => t.cron), ['0 0 1 * *']);
    assert.equal((await serve.admin('DELETE', '/workers/gone')).status, 200);
    assert.deepEqual(serve.running.platform.triggers('gone'), []);
  });

  test('bad input: an invalid cron is refused at deploy and by the route; a worker without triggers needs ?cron=', async () => {
    const bad = await serve.deploy('bad', SCHEDULED_ONLY, { config: { crons: ['0 0 * * 0'] } });
    assert.equal(bad.status, 400);
    assert.match(bad.json.error.message, /config\.crons: .*weekdays are 1-7/);
    assert.equal((await serve.admin('POST', '/workers/ticker/scheduled?cron=nope')).status, 400);
    assert.equal((await serve.deploy('plain', THROWS)).status, 201);
    const none = await serve.admin('POST', '/workers/plain/scheduled');
    assert.equal(none.status, 400);
    assert.match(none.json.error.message, /has no cron triggers/);
  });
});

describe('runs missed while the server was down', () => {
  const dir = mkdtempSync(join(tmpdir(), 'islet-cron-'));
  const T0 = Date.parse('2025-01-15T12:00:00Z');
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('the last missed run within 15 minutes is made up once at start, and not again', async () => {
    const fixed = (now: number) => ({ ...shiftedClock({ ms: 0 }), now: () => now });
    let serve = await startTestServe({ engines: 0 }, dir, { schedulerClock: fixed(T0) });
    assert.equal((await serve.deploy('tenmin', SCHEDULED_ONLY, { config: { crons: ['*/10 * * * *'] } })).status, 201);
    assert.equal((await serve.admin('POST', `/workers/tenmin/scheduled?time=${T0}`)).json.outcome, 'ok');
    await serve.close();
    // Down over 12:10 and 12:20; back at 12:23: only 12:20 is made up.
    serve = await startTestServe({ engines: 0 }, dir, { schedulerClock: fixed(T0 + 23 * 60_000) });
    try {
      const line = await until(() => scheduledLines(serve, 'tenmin')[0]);
      assert.equal(line, `scheduled */10 * * * * ${T0 + 20 * 60_000} function`);
      const worker = (await serve.admin('GET', '/workers/tenmin')).json;
      assert.equal(worker.triggers[0].lastRun.scheduledTime, '2025-01-15T12:20:00.000Z');
    } finally {
      await serve.close();
    }
    serve = await startTestServe({ engines: 0 }, dir, { schedulerClock: fixed(T0 + 24 * 60_000) });
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.deepEqual(scheduledLines(serve, 'tenmin'), [], 'the 12:20 run happened; nothing is owed');
    } finally {
      await serve.close();
    }
  });
});
