// The request line JsonLog writes by hand must be the line pino would write for the same record: the
// same bytes, so log shippers see one format whichever path wrote a line.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { JsonLog } from '../../src/host/observability/logs/json-log.js';
import { requestRecord } from '../../src/host/observability/logs/request-record.js';
import type { RequestOutcome } from '../../src/host/observability/platform-observer.js';

function pinoLine(level: 'info' | 'error', record: object): string {
  let out = '';
  const logger = pino({ formatters: { level: (label) => ({ level: label }) }, base: null, timestamp: false }, { write: (line: string) => { out += line; } });
  logger[level](record);
  return out;
}

test('a request line is byte for byte what pino writes, with hostile strings escaped', () => {
  const outcomes: RequestOutcome[] = [
    { worker: 'hello', version: 3, status: 200, admitted: true, durationMs: 0.41234, cpuMs: 0.1, coldStartMs: -1, memoryMb: 128, failure: null, traceId: '0af7651916cd43dd8448eb211c80319c', method: 'GET', url: 'http://example.com/a/b?token=secret' },
    { worker: 'w-2', version: 1, status: 500, admitted: true, durationMs: 12, cpuMs: 3.5, coldStartMs: 4.2, memoryMb: 128, failure: 'exception', traceId: 'abc"\\\n\u2028', method: 'POST', url: 'http://h\u00e9st"/p\u0000th\u00e9/"x"\\y' },
    // The same worker with another version, then another host: text reused from the line before must not leak.
    { worker: 'w-2', version: 2, status: 503, admitted: true, durationMs: 30_000.0004, cpuMs: 50.0005, coldStartMs: 0, memoryMb: 128, failure: 'cpu_limit', traceId: 'ffffffffffffffffffffffffffffffff', method: 'PUT', url: 'http://other.example:8080/' },
    { worker: 'hello', version: 3, status: 204, admitted: true, durationMs: 0.0004, cpuMs: 1.005, coldStartMs: -1, memoryMb: 128, failure: null, traceId: 't', method: 'DELETE', url: 'http://example.com/x#frag' },
  ];
  // One log for all lines, as a server writes them one after another.
  let written = '';
  const log = new JsonLog({ write: (line: string) => { written += line; } });
  for (const outcome of outcomes) {
    written = '';
    log.request(outcome);
    // The record as of the line's own time, which is taken when the line is written.
    const record = requestRecord(outcome, (JSON.parse(written) as { time: string }).time);
    assert.equal(written, pinoLine(outcome.failure === null ? 'info' : 'error', record));
    assert.deepEqual(JSON.parse(written), { level: outcome.failure === null ? 'info' : 'error', ...record });
  }
  // The query string never reaches the log.
  let line = '';
  new JsonLog({ write: (l: string) => { line += l; } }).request(outcomes[0]!);
  assert.doesNotMatch(line, /secret/);
});
