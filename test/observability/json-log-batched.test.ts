// The JSON log over its batched writer makes request lines when a batch goes out, not when the
// request is answered: lines must still come out in the order things happened, and none be lost.
import assert from 'node:assert/strict';
import { mkdtempSync, openSync, readFileSync, rmSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { BatchedLines } from '../../src/host/observability/logs/batched-lines.js';
import { JsonLog } from '../../src/host/observability/logs/json-log.js';
import type { RequestOutcome } from '../../src/host/observability/platform-observer.js';
import { LogLevel } from '../../src/shared/boundary.js';

const outcome = (traceId: string, extra: Partial<RequestOutcome> = {}): RequestOutcome => ({
  worker: 'w', version: 1, status: 200, admitted: true, durationMs: 1, cpuMs: 0.5, coldStartMs: -1, memoryMb: 128,
  failure: null, traceId, method: 'GET', url: 'http://h/p', ...extra,
});

test('request lines made late keep their place among console, event and platform lines', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'islet-json-log-'));
  const file = join(dir, 'log');
  const fd = openSync(file, 'a');
  try {
    const log = new JsonLog(new BatchedLines(fd));
    log.request(outcome('a'));
    log.console('w', 'b', LogLevel.Log, 'from b');
    log.request(outcome('b'));
    log.request(outcome('c', { event: { kind: 'scheduled', cron: '* * * * *', scheduledTime: 0 } }));
    log.request(outcome('d'));
    log.workerError('w', 'e', 'platform says');
    log.request(outcome('e'));
    await log.flush();
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as { type: string; traceId: string });
    assert.deepEqual(lines.map((l) => `${l.type} ${l.traceId}`), [
      'request a', 'console b', 'request b', 'scheduled c', 'request d', 'platform e', 'request e',
    ]);
  } finally {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('requests noted while nothing else is logged all reach the file once their batch goes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'islet-json-log-'));
  const file = join(dir, 'log');
  const fd = openSync(file, 'a');
  try {
    const log = new JsonLog(new BatchedLines(fd));
    // More than are ever held before lines are made, across turns, as a busy server notes them.
    for (let i = 0; i < 5_000; i++) {
      log.request(outcome(`t${i}`));
      if (i % 300 === 299) await new Promise((resolve) => setImmediate(resolve));
    }
    await log.flush();
    const ids = readFileSync(file, 'utf8').trimEnd().split('\n').map((l) => (JSON.parse(l) as { traceId: string }).traceId);
    assert.equal(ids.length, 5_000);
    assert.deepEqual(ids, Array.from({ length: 5_000 }, (_, i) => `t${i}`));
  } finally {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
});
