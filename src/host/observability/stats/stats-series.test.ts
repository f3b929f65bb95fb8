import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryLogSink } from '../log-sink.js';
import type { RequestOutcome } from '../platform-observer.js';
import { RecentErrors } from './recent-errors.js';
import { StatsSeries } from './stats-series.js';

const PRICES = { perMillionRequests: 0.3, perMillionCpuMs: 0.02, perGbSecond: 0 };

function outcome(overrides: Partial<RequestOutcome>): RequestOutcome {
  return {
    worker: 'api', version: 1, status: 200, admitted: true, durationMs: 1, cpuMs: 1, coldStartMs: -1, memoryMb: 128,
    failure: null, traceId: 't', method: 'GET', url: 'http://a.test/x?secret=1', ...overrides,
  };
}

test('an interval becomes rates, nearest-rank percentiles, cold starts, CPU and cost', () => {
  const series = new StatsSeries({ prices: PRICES, intervalMs: 2_000, capacity: 3 });
  for (let ms = 1; ms <= 100; ms++) series.request(outcome({ durationMs: ms, coldStartMs: ms === 1 ? 5 : -1 }));
  series.request(outcome({ status: 500, failure: 'exception', durationMs: 0 }));
  series.request(outcome({ status: 429, failure: 'rate_limited', admitted: false }));
  series.tick(1_000);
  const json = series.series();
  const api = json.workers.api!;
  assert.deepEqual(json.t, [1_000]);
  assert.equal(api.requests[0], 102 / 2, 'per second over a 2 s interval');
  assert.equal(api.errors[0], 1);
  // 101 admitted durations: 0, 1 ... 100. Nearest rank: ceil(q * 101)th smallest.
  assert.deepEqual([api.p50Ms[0], api.p95Ms[0], api.p99Ms[0]], [50, 95, 99]);
  assert.equal(api.coldStarts[0], 1);
  assert.equal(api.cpuMs[0], 101);
  assert.equal(api.cost[0], (101 * 0.3) / 1e6 + (101 * 0.02) / 1e6);
  assert.deepEqual(api.heapBytes, [null], 'no engines to ask');
});

test('the ring keeps `capacity` intervals and `since` returns the newer ones', () => {
  const series = new StatsSeries({ prices: null, capacity: 3 });
  for (let t = 1; t <= 5; t++) {
    series.request(outcome({ worker: t % 2 === 0 ? 'even' : 'odd' }));
    series.tick(t * 1_000);
  }
  const json = series.series();
  assert.deepEqual(json.t, [3_000, 4_000, 5_000]);
  assert.deepEqual(json.workers.odd!.requests, [1, 0, 1]);
  assert.deepEqual(json.workers.even!.requests, [0, 1, 0]);
  assert.deepEqual(json.workers.odd!.p50Ms, [1, null, 1]);
  assert.deepEqual(series.series(4_000).t, [5_000]);
  assert.deepEqual(Object.keys(series.series(4_000).workers), ['odd']);
});

test('a failure takes the lines logged before it and after it; successes and their lines are dropped', () => {
  const errors = new RecentErrors({ capacity: 2 });
  const next = new MemoryLogSink();
  const sink = errors.sink(next);
  sink.console('api', 'ok-1', 2, 'fine');
  errors.request(outcome({ traceId: 'ok-1' }));
  sink.console('api', 'bad-1', 3, 'about to fail');
  sink.workerError('api', 'bad-1', 'Uncaught Error: boom');
  errors.request(outcome({ traceId: 'bad-1', status: 500, failure: 'exception' }));
  sink.console('api', 'bad-1', 4, 'from waitUntil');
  sink.console('api', null, 2, 'no request');
  assert.equal(next.lines.length, 5, 'every line still reaches the real sink');
  const [entry] = errors.list();
  assert.equal(entry!.path, '/x', 'the query string is left out');
  assert.deepEqual(entry!.logs.map((l) => `${l.level}: ${l.message}`), ['warn: about to fail', 'platform: Uncaught Error: boom', 'error: from waitUntil']);
  errors.request(outcome({ traceId: 'bad-2', status: 503, failure: 'cpu_limit', worker: 'other' }));
  errors.request(outcome({ traceId: 'bad-3', status: 502, failure: null }));
  assert.deepEqual(errors.list().map((e) => e.traceId), ['bad-3', 'bad-2'], 'newest first, the oldest gone past capacity');
  assert.deepEqual(errors.list('other').map((e) => e.traceId), ['bad-2']);
  sink.console('api', 'bad-1', 2, 'too late');
  assert.equal(errors.list().length, 2);
});
