// Cron expressions in Cloudflare's dialect, checked against the examples of its documentation
// (https://developers.cloudflare.com/workers/configuration/cron-triggers/#examples) with next-run
// times worked out from a calendar. 2025-01-15 is a Wednesday.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CronExpressionError, parseCron, parseCronList } from '../../src/host/scheduling/cron-expression.js';

const FROM = Date.parse('2025-01-15T12:00:30Z');
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

describe('cron expressions', () => {
  const cases: [string, string, string][] = [
    ['* * * * *', 'every minute', '2025-01-15T12:01:00.000Z'],
    ['*/30 * * * *', 'every 30 minutes', '2025-01-15T12:30:00.000Z'],
    ['45 * * * *', 'minute 45 of every hour', '2025-01-15T12:45:00.000Z'],
    ['0 17 * * sun', '5PM on Sunday', '2025-01-19T17:00:00.000Z'],
    // Cloudflare numbers weekdays 1-7 from Sunday: "0 17 * * 1" is Sunday too, not Monday.
    ['0 17 * * 1', '5PM on Sunday (1 = Sunday)', '2025-01-19T17:00:00.000Z'],
    ['10 7 * * mon-fri', '7:10AM on weekdays', '2025-01-16T07:10:00.000Z'],
    ['10 7 * * 2-6', '7:10AM on weekdays (2-6)', '2025-01-16T07:10:00.000Z'],
    ['0 15 1 * *', '3PM on the first of the month', '2025-02-01T15:00:00.000Z'],
    ['0 18 * * 6L', '6PM on the last Friday (6L)', '2025-01-31T18:00:00.000Z'],
    ['0 18 * * friL', '6PM on the last Friday (friL)', '2025-01-31T18:00:00.000Z'],
    ['59 23 LW * *', '11:59PM on the last weekday of the month', '2025-01-31T23:59:00.000Z'],
    ['0 10 * * MON#2', 'the second Monday', '2025-02-10T10:00:00.000Z'],
    ['0 0 15W * *', 'the weekday nearest the 15th (a Wednesday)', '2025-02-14T00:00:00.000Z'],
    ['0 0 1 JAN,jul *', 'month names, any case', '2025-07-01T00:00:00.000Z'],
  ];
  for (const [expression, what, next] of cases) {
    test(`${expression}: ${what}`, () => {
      assert.equal(iso(parseCron(expression).next(FROM)), next);
    });
  }

  test('February 15 2025 is a Saturday: 15W runs on Friday the 14th; previous() includes an exact match', () => {
    const schedule = parseCron('0 0 15W * *');
    assert.equal(iso(schedule.previous(Date.parse('2025-02-14T00:00:00Z'))), '2025-02-14T00:00:00.000Z');
    assert.equal(iso(schedule.previous(Date.parse('2025-02-13T23:59:59Z'))), '2025-01-15T00:00:00.000Z');
  });

  test('whitespace is normalised; the expression keeps its own spelling otherwise', () => {
    assert.equal(parseCron('  */5   * * * *  ').expression, '*/5 * * * *');
  });

  const invalid: [string, RegExp][] = [
    ['', /cannot be empty/],
    ['* * * *', /has 4 fields/],
    ['* * * * * *', /has 6 fields/],
    ['60 * * * *', /not a valid cron expression/],
    ['0 24 * * *', /not a valid cron expression/],
    ['0 0 * * 0', /not a valid cron expression/],
    ['0 0 * * 8', /not a valid cron expression/],
    ['0 0 ? * MON', /"\?" is not supported/],
    ['@daily', /nicknames/],
    ['0 0 31 2 *', /never matches/],
  ];
  for (const [expression, message] of invalid) {
    test(`refused: "${expression}"`, () => {
      assert.throws(() => parseCron(expression), (err: unknown) => err instanceof CronExpressionError && message.test(err.message));
    });
  }

  test('a list refuses repeats', () => {
    assert.deepEqual(parseCronList(['*/5 * * * *', '0 0 * * *']), ['*/5 * * * *', '0 0 * * *']);
    assert.throws(() => parseCronList(['*/5 * * * *', '*/5  * * * *']), /listed twice/);
  });
});
