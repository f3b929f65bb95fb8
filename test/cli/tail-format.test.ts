// islet tail's pretty lines for the events that are not HTTP requests, in wrangler tail's shapes:
// `"<cron>" @ <time> - <outcome>` for a cron run and `Queue <name> - <outcome> @ <time>` for a batch.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { prettyEvent } from '../../src/cli/tail-format.js';

const time = '2026-01-01T03:00:00.000Z';
const local = new Date(time).toLocaleString();

test('a cron run prints its expression, time and outcome, then its lines', () => {
  assert.equal(prettyEvent({ type: 'scheduled', cron: '0 3 * * *', scheduledTime: Date.parse(time), time, outcome: 'exception',
    logs: [{ level: 'log', message: 'starting' }], exceptions: [{ message: 'Error: nope' }] }),
  `"0 3 * * *" @ ${local} - Exception Thrown\n  (log) starting\n  ✘ Error: nope`);
});

test('a queue batch prints its queue and outcome', () => {
  assert.equal(prettyEvent({ type: 'queue', queue: 'jobs', time, outcome: 'ok', logs: [], exceptions: [] }), `Queue jobs - Ok @ ${local}`);
});
