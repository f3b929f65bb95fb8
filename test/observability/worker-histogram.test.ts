// The histogram the request path records into renders what prom-client's own Histogram renders for
// the same observations, so scrapers and dashboards cannot tell them apart.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Histogram, Registry } from 'prom-client';
import { DURATION_BUCKETS } from '../../src/host/observability/metrics/platform-metrics.js';
import { WorkerHistogram } from '../../src/host/observability/metrics/worker-histogram.js';

test('same exposition as prom-client for the same observations, bounds and edges included', async () => {
  const ours = new Registry();
  const theirs = new Registry();
  const help = 'Seconds a thing took.';
  const mine = new WorkerHistogram({ name: 'islet_thing_seconds', help, buckets: DURATION_BUCKETS, registers: [ours] });
  const reference = new Histogram({ name: 'islet_thing_seconds', help, labelNames: ['worker'], buckets: DURATION_BUCKETS, registers: [theirs] });
  // Values on a bound belong to that bound's bucket (le is "less than or equal"); past the last, only +Inf.
  const values = [0, 0.00025, 0.0002501, 0.001, 0.0049, 0.005, 0.01, 29.9, 30, 31, 1e6, 0.0031];
  for (const [i, value] of values.entries()) {
    const worker = i % 3 === 0 ? 'api' : 'shop "eu"\\';
    mine.observe(mine.series(worker), value);
    reference.observe({ worker }, value);
  }
  assert.equal(await ours.metrics(), await theirs.metrics());
  // api saw 0, 0.001, 0.01 and 31: one at or under 0.25 ms, three at or under 30 s, 31 only in +Inf.
  const text = await ours.metrics();
  assert.match(text, /islet_thing_seconds_bucket\{le="0.00025",worker="api"\} 1\n/);
  assert.match(text, /islet_thing_seconds_bucket\{le="30",worker="api"\} 3\n/);
  assert.match(text, /islet_thing_seconds_bucket\{le="\+Inf",worker="api"\} 4\n/);
});

test('a series made but never observed renders zero counts, as prom-client does for a zeroed label set', async () => {
  const ours = new Registry();
  const mine = new WorkerHistogram({ name: 'islet_idle_seconds', help: 'h', buckets: [1, 2], registers: [ours] });
  mine.series('quiet');
  assert.equal(await ours.metrics(), [
    '# HELP islet_idle_seconds h', '# TYPE islet_idle_seconds histogram',
    'islet_idle_seconds_bucket{le="1",worker="quiet"} 0', 'islet_idle_seconds_bucket{le="2",worker="quiet"} 0',
    'islet_idle_seconds_bucket{le="+Inf",worker="quiet"} 0', 'islet_idle_seconds_sum{worker="quiet"} 0', 'islet_idle_seconds_count{worker="quiet"} 0', '',
  ].join('\n'));
});
