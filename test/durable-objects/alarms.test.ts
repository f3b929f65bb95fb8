// Alarms in islet dev's host: fired on time, retried with backoff when the handler throws, and fired
// by a new host over the same data directory (a restart).
// @see https://developers.cloudflare.com/durable-objects/api/alarms/
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { startWorker } from '../helpers/worker-server.js';
import { ALARM_BINDINGS, ALARM_WORKER, waitFor, type AlarmState } from './alarm-worker.js';

const dataDir = mkdtempSync(join(tmpdir(), 'islet-do-alarms-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));
const options = { durableObjects: ALARM_BINDINGS, limits: { cpuMs: 2_000 } };

describe('Durable Object alarms (islet dev)', () => {
  test('an alarm fires once on time, with retryCount 0, and is cleared while its handler runs', async () => {
    const server = await startWorker(ALARM_WORKER, options);
    try {
      const set = await (await server.fetch('/set?in=300&name=once')).json() as { alarm: number };
      assert.ok(set.alarm > Date.now() - 1_000);
      const state = await waitFor(async () => await (await server.fetch('/state?name=once')).json() as AlarmState, (s) => s.runs.length > 0, 5_000);
      assert.equal(state.runs.length, 1);
      const [run] = state.runs;
      assert.deepEqual([run!.retryCount, run!.isRetry, run!.alarmDuring], [0, false, null]);
      assert.ok(run!.at >= set.alarm, 'not before its time');
      assert.equal(state.alarm, null);
      await new Promise((resolve) => setTimeout(resolve, 600));
      assert.equal(((await (await server.fetch('/state?name=once')).json()) as AlarmState).runs.length, 1, 'fired once');
    } finally {
      await server.close();
    }
  });

  test('a handler that throws is retried after about 2 s with retryCount 1 and isRetry', { timeout: 20_000 }, async () => {
    const server = await startWorker(ALARM_WORKER, options);
    try {
      await server.fetch('/set?in=50&fails=1&name=retry');
      const state = await waitFor(async () => await (await server.fetch('/state?name=retry')).json() as AlarmState, (s) => s.runs.length >= 2, 8_000);
      assert.deepEqual(state.runs.map((r) => [r.retryCount, r.isRetry]), [[0, false], [1, true]]);
      const gap = state.runs[1]!.at - state.runs[0]!.at;
      assert.ok(gap >= 1_900 && gap < 5_000, `retry came ${gap} ms after the failure`);
      assert.equal(state.alarm, null);
    } finally {
      await server.close();
    }
  });

  test('setAlarm() needs an alarm() handler', async () => {
    const server = await startWorker(ALARM_WORKER, options);
    try {
      assert.equal(await (await server.fetch('/noalarm')).text(), 'TypeError: Your Durable Object class must have an alarm() handler in order to call setAlarm()');
    } finally {
      await server.close();
    }
  });

  test('an alarm set before the host stopped fires from the next host on the same data', { timeout: 20_000 }, async () => {
    const first = await startWorker(ALARM_WORKER, options, { dataDir });
    await first.fetch('/set?in=1500&name=restart');
    await first.close();
    const second = await startWorker(ALARM_WORKER, options, { dataDir });
    try {
      const state = await waitFor(async () => await (await second.fetch('/state?name=restart')).json() as AlarmState, (s) => s.runs.length > 0, 6_000);
      assert.equal(state.runs.length, 1);
      assert.equal(state.runs[0]!.retryCount, 0);
    } finally {
      await second.close();
    }
  });
});
