// `[observability] request_log_sampling`: whole requests are kept or left out, by trace id, in about
// the configured share; failures, events and platform errors are always written.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { LogLevel } from '../../src/shared/boundary.js';
import { JsonLog } from '../../src/host/observability/logs/json-log.js';
import { sampleLogs, traceSampled } from '../../src/host/observability/logs/log-sampling.js';
import type { RequestOutcome } from '../../src/host/observability/platform-observer.js';

type Line = { type?: string; traceId: string | null; outcome?: string; msg?: string };

const ok = (traceId: string): RequestOutcome => ({
  worker: 'hello', version: 1, status: 200, admitted: true, durationMs: 1, cpuMs: 0.5, coldStartMs: -1, memoryMb: 128,
  failure: null, traceId, method: 'GET', url: 'http://example.com/', parentSpanId: null,
});

function sampled(rate: number) {
  const lines: Line[] = [];
  const json = new JsonLog({ write: (line: string) => { lines.push(JSON.parse(line) as Line); } });
  return { lines, ...sampleLogs(json, json, rate) };
}

test('a request\'s line and its console lines are kept or left out together, in about the configured share', () => {
  const { lines, log, requests } = sampled(0.1);
  // Random ids as clients send them, and generated ones that differ only in a counter at the end.
  const ids = [
    ...Array.from({ length: 5_000 }, () => randomBytes(16).toString('hex')),
    ...Array.from({ length: 5_000 }, (_, i) => `81c008ed06b1dee5${i.toString(16).padStart(16, '0')}`),
  ];
  for (const id of ids) {
    log.console('hello', id, LogLevel.Log, `said by ${id}`);
    requests.request(ok(id));
  }
  const requestIds = new Set(lines.filter((l) => l.type === 'request').map((l) => l.traceId));
  const consoleIds = new Set(lines.filter((l) => l.type === 'console').map((l) => l.traceId));
  assert.deepEqual([...consoleIds].sort(), [...requestIds].sort(), 'the same requests, both kinds of line');
  for (const half of [ids.slice(0, 5_000), ids.slice(5_000)]) {
    const kept = half.filter((id) => requestIds.has(id)).length;
    // Binomial(5000, 0.1): mean 500, standard deviation ~21; 400..600 is nearly five of them.
    assert.ok(kept > 400 && kept < 600, `${kept} of 5000 kept`);
  }
});

test('failures, cron runs, platform errors and console lines without a trace are always written', () => {
  const { lines, log, requests } = sampled(0);
  requests.request(ok('dropped'));
  log.console('hello', 'dropped', LogLevel.Log, 'dropped too');
  requests.request({ ...ok('failed'), status: 500, failure: 'exception' });
  requests.request({ ...ok('cron'), event: { kind: 'scheduled', cron: '* * * * *', scheduledTime: 0 } });
  log.workerError('hello', 'dropped', 'Uncaught Error: boom');
  log.console('hello', null, LogLevel.Warn, 'at module start');
  assert.deepEqual(lines.map((l) => [l.type, l.traceId, l.outcome ?? l.msg]), [
    ['request', 'failed', 'exception'], ['scheduled', 'cron', 'ok'], ['platform', 'dropped', 'Uncaught Error: boom'], ['console', null, 'at module start'],
  ]);
});

test('at 1 the log is used as it is, at no cost; the choice for an id never changes', () => {
  const json = new JsonLog({ write: () => {} });
  const same = sampleLogs(json, json, 1);
  assert.equal(same.log, json);
  assert.equal(same.requests, json);
  const id = randomBytes(16).toString('hex');
  assert.equal(traceSampled(id, 0.5), traceSampled(id, 0.5));
  assert.equal(traceSampled(id, 0), false);
});
