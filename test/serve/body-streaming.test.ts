// Request and response bodies stream end to end through `islet serve`, across the supervisor's IPC
// with an engine process (credit-based flow control), and an engine dying mid-stream cuts the client.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { bigStreamCase, streamingCases } from '../helpers/streaming-cases.js';
import { startTestServe, type TestServe } from '../helpers/serve.js';
import { streamGet, STREAMING_WORKER } from '../helpers/streaming-worker.js';

describe('body streaming through islet serve', () => {
  let serve: TestServe;
  before(async () => {
    serve = await startTestServe({ engines: 1 });
    assert.equal((await serve.deploy('stream', STREAMING_WORKER, { config: { limits: { cpuMs: 30_000 } } })).status, 201);
  });
  after(() => serve.close());
  streamingCases(() => ({ url: `${serve.url}/stream`, logText: () => serve.logs.lines.map((line) => line.message).join('\n') }));

  test('an engine that dies mid-stream cuts the client\'s connection', async () => {
    const endless = await streamGet(`${serve.url}/stream/endless`);
    await endless.first;
    const [engine] = await serve.running.platform.supervisor.stats();
    process.kill(engine!.pid, 'SIGKILL');
    await assert.rejects(endless.done, /connection cut|aborted/);
  });

  bigStreamCase('serve', 300);
});
