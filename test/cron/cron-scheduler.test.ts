// The scheduler against a clock the test moves by hand: one timer for the whole schedule, firing at
// the times the expressions give, and the missed-run rule.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseCron } from '../../src/host/scheduling/cron-expression.js';
import { CATCH_UP_WINDOW_MS, CronScheduler, missedRun, type SchedulerClock } from '../../src/host/scheduling/cron-scheduler.js';

class ManualClock implements SchedulerClock {
  time: number;
  timers = new Map<number, { at: number; fire: () => void }>();
  #next = 1;
  constructor(start: string) { this.time = Date.parse(start); }
  now(): number { return this.time; }
  setTimer(fire: () => void, ms: number): unknown {
    const id = this.#next++;
    this.timers.set(id, { at: this.time + ms, fire });
    return id;
  }
  clearTimer(timer: unknown): void { this.timers.delete(timer as number); }
  /** Moves time forward, firing timers as they come due. */
  advanceTo(iso: string): void {
    const end = Date.parse(iso);
    for (;;) {
      const due = [...this.timers.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (due === undefined) break;
      this.timers.delete(due[0]);
      this.time = due[1].at;
      due[1].fire();
    }
    this.time = end;
  }
}

const at = (ms: number) => new Date(ms).toISOString();

describe('cron scheduler', () => {
  test('one timer for every worker\'s triggers, fired at the times the expressions give (UTC)', () => {
    const clock = new ManualClock('2025-01-15T12:00:30Z');
    const fired: string[] = [];
    const scheduler = new CronScheduler((worker, cron, time) => fired.push(`${worker} ${cron} ${at(time)}`), clock);
    scheduler.set('a', ['*/5 * * * *']);
    scheduler.set('b', ['* * * * *', '0 13 * * *']);
    scheduler.set('c', ['0 0 1 1 *']);
    assert.equal(clock.timers.size, 1);
    assert.equal(at([...clock.timers.values()][0]!.at), '2025-01-15T12:01:00.000Z');
    clock.advanceTo('2025-01-15T12:05:30Z');
    assert.deepEqual(fired, [
      'b * * * * * 2025-01-15T12:01:00.000Z', 'b * * * * * 2025-01-15T12:02:00.000Z', 'b * * * * * 2025-01-15T12:03:00.000Z',
      'b * * * * * 2025-01-15T12:04:00.000Z', 'a */5 * * * * 2025-01-15T12:05:00.000Z', 'b * * * * * 2025-01-15T12:05:00.000Z',
    ]);
    assert.equal(clock.timers.size, 1);
    scheduler.delete('b');
    assert.equal(at([...clock.timers.values()][0]!.at), '2025-01-15T12:10:00.000Z');
    scheduler.close();
    assert.equal(clock.timers.size, 0);
  });

  test('a timer that fires late runs the trigger once, for the time it was due, then waits for the next one after now', () => {
    const clock = new ManualClock('2025-01-15T12:00:30Z');
    const fired: number[] = [];
    const scheduler = new CronScheduler((_w, _c, time) => fired.push(time), clock);
    scheduler.set('a', ['* * * * *']);
    const timer = [...clock.timers.values()][0]!;
    clock.time = Date.parse('2025-01-15T12:04:10Z');
    timer.fire();
    assert.deepEqual(fired.map(at), ['2025-01-15T12:01:00.000Z']);
    assert.equal(at([...clock.timers.values()].at(-1)!.at), '2025-01-15T12:05:00.000Z');
    scheduler.close();
  });

  test('missed runs: one catch-up for the last due time, only within 15 minutes and only if not recorded', () => {
    const schedule = parseCron('*/10 * * * *');
    const now = Date.parse('2025-01-15T12:07:00Z');
    const last = Date.parse('2025-01-15T11:40:00Z');
    // Down from 11:45 to 12:07: 11:50, 12:00 missed; only 12:00 (7 minutes ago) is made up.
    assert.equal(at(missedRun(schedule, last, now)!), '2025-01-15T12:00:00.000Z');
    assert.equal(missedRun(schedule, Date.parse('2025-01-15T12:00:00Z'), now), null, 'the last due run happened');
    assert.equal(missedRun(schedule, null, now), null, 'a trigger that never ran owes nothing');
    const hourly = parseCron('0 * * * *');
    const hourlyLast = Date.parse('2025-01-15T10:00:00Z');
    assert.equal(missedRun(hourly, hourlyLast, Date.parse('2025-01-15T11:00:00Z') + CATCH_UP_WINDOW_MS + 1), null, 'more than 15 minutes ago');
    assert.equal(at(missedRun(hourly, hourlyLast, Date.parse('2025-01-15T11:00:00Z') + CATCH_UP_WINDOW_MS)!), '2025-01-15T11:00:00.000Z');
  });

  test('catchUp fires each owed trigger once, with its missed scheduledTime', () => {
    const clock = new ManualClock('2025-01-15T12:07:00Z');
    const fired: string[] = [];
    const scheduler = new CronScheduler((worker, cron, time) => fired.push(`${worker} ${cron} ${at(time)}`), clock);
    scheduler.set('a', ['*/10 * * * *', '0 * * * *']);
    scheduler.set('b', ['*/10 * * * *']);
    scheduler.catchUp((worker, cron) => (worker === 'a' ? Date.parse('2025-01-15T11:40:00Z') : cron === '*/10 * * * *' ? Date.parse('2025-01-15T12:00:00Z') : null));
    assert.deepEqual(fired, ['a */10 * * * * 2025-01-15T12:00:00.000Z', 'a 0 * * * * 2025-01-15T12:00:00.000Z']);
    scheduler.close();
  });
});
