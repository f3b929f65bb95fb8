// A worker cannot flood the host's log: long lines are cut and a worker's lines beyond its byte budget
// are dropped, with a count of what was dropped; other workers' lines are untouched.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { limitLogs } from '../../src/host/observability/log-limiter.js';
import { MemoryLogSink } from '../../src/host/observability/log-sink.js';
import { startWorkers } from '../helpers/worker-server.js';

test('lines beyond the budget are dropped per worker and counted when logging can resume', () => {
  let clock = 0;
  const sink = new MemoryLogSink();
  const log = limitLogs(sink, { bytesPerSecond: 100, burstBytes: 250, maxLineBytes: 1000 }, () => clock);
  for (let i = 0; i < 5; i++) log.console('noisy', null, 2, 'x'.repeat(100));
  log.console('quiet', null, 2, 'still heard');
  assert.deepEqual(sink.lines.map((l) => [l.worker, l.message.length]), [['noisy', 100], ['noisy', 100], ['quiet', 11]]);
  clock = 2_000; // two seconds: 200 bytes of budget back
  log.console('noisy', 't1', 2, 'back');
  assert.deepEqual(sink.lines.slice(3).map((l) => [l.level, l.traceId, l.message]), [
    // The lines dropped were not t1's: the note belongs to no request.
    ['platform', null, '3 log lines were dropped: the worker logged more than 100 bytes per second.'],
    [2, 't1', 'back'],
  ]);
});

test('a worker logging megabytes in a loop gets its response, and the log holds a bounded amount', async () => {
  const server = await startWorkers([{
    name: 'spam',
    code: `export default { fetch() { const s = 'x'.repeat(1_000_000); for (let i = 0; i < 200; i++) console.log(s); return new Response('ok'); } }`,
    limits: { cpuMs: 5_000 },
  }]);
  try {
    const response = await server.fetch('/');
    assert.equal(await response.text(), 'ok');
    const bytes = server.logs.lines.reduce((sum, l) => sum + l.message.length, 0);
    assert.ok(bytes <= 1024 * 1024 + 64 * 1024 + 200, `${bytes} bytes reached the log`);
    assert.ok(server.logs.lines.every((l) => l.message.length <= 64 * 1024 + 64), 'every line is cut to 64 KiB');
  } finally {
    await server.close();
  }
});

test('a line cut for length says exactly how many characters were cut', async () => {
  const server = await startWorkers([{ name: 'long', code: `export default { fetch() { console.log('y'.repeat(100_000)); return new Response('ok'); } }` }]);
  try {
    assert.equal(await (await server.fetch('/')).text(), 'ok');
    const lines = server.logs.lines.filter((l) => l.level !== 'platform');
    assert.equal(lines.length, 1);
    const match = /^(y+)\.\.\. \[(\d+) more characters cut\]$/.exec(lines[0]!.message);
    assert.ok(match !== null, lines[0]!.message.slice(-80));
    assert.equal(match[1]!.length + Number(match[2]), 100_000, 'kept plus cut is the whole line');
    assert.ok(lines[0]!.message.length <= 64 * 1024);
  } finally {
    await server.close();
  }
});
