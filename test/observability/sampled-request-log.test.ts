// `[observability] request_log_sampling`: a share of successful requests is logged, every failure and
// every cron run or queue batch is, and the lines written are the request log's own.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { JsonLog } from '../../src/host/observability/logs/json-log.js';
import { sampledRequestLog } from '../../src/host/observability/logs/sampled-request-log.js';
import type { RequestOutcome } from '../../src/host/observability/platform-observer.js';

const ok = (traceId: string): RequestOutcome => ({
  worker: 'hello', version: 1, status: 200, admitted: true, durationMs: 1, cpuMs: 0.5, coldStartMs: -1, memoryMb: 128,
  failure: null, traceId, method: 'GET', url: 'http://example.com/', parentSpanId: null,
});

test('at 0.5, a successful request is logged when the draw is below 0.5; failures and events always are', () => {
  const lines: { traceId: string; type: string; outcome: string }[] = [];
  const json = new JsonLog({ write: (line: string) => { lines.push(JSON.parse(line) as { traceId: string; type: string; outcome: string }); } });
  const draws = [0.1, 0.6, 0.49, 0.5, 0.99];
  let next = 0;
  const log = sampledRequestLog(json, 0.5, () => draws[next++]!);
  for (const id of ['a', 'b', 'c', 'd']) log.request(ok(id));
  log.request({ ...ok('failed'), status: 500, failure: 'exception' });
  log.request({ ...ok('cron'), event: { kind: 'scheduled', cron: '* * * * *', scheduledTime: 0 } });
  assert.deepEqual(lines.map((l) => [l.traceId, l.type, l.outcome]), [
    ['a', 'request', 'ok'], ['c', 'request', 'ok'], ['failed', 'request', 'exception'], ['cron', 'scheduled', 'ok'],
  ]);
  assert.equal(next, 4, 'no draw is spent on a failure or an event');
});

test('at 1 every request is logged, at 0 none that succeeded', () => {
  const written: string[] = [];
  const json = new JsonLog({ write: (line: string) => { written.push(line); } });
  assert.equal(sampledRequestLog(json, 1), json, 'sampling 1 is the log itself, at no cost');
  const none = sampledRequestLog(json, 0, () => 0);
  none.request(ok('x'));
  assert.equal(written.length, 0);
  none.request({ ...ok('y'), status: 503, failure: 'cpu_limit' });
  assert.equal(written.length, 1);
});
