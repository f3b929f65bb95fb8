// WebSockets through islet serve: the client's connection in the server process, the worker's isolate
// in an engine process, messages relayed over the engine's IPC channel.
import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';
import { startTestServe, type TestServe } from '../helpers/serve.js';
import { echoCases, type EchoServer } from './echo-cases.js';
import { ECHO_WORKER } from './echo-worker.js';
import { wsUrl } from './ws-client.js';

describe('WebSockets under islet serve', () => {
  let serve: TestServe;
  before(async () => {
    serve = await startTestServe();
    // CPU to spare: copying 32 MiB out in one event must not hit the CPU limit on a busy machine.
    const deployed = await serve.deploy('echo', ECHO_WORKER, { config: { limits: { cpuMs: 2_000 } } });
    assert.equal(deployed.status, 201, JSON.stringify(deployed.json));
  });
  after(async () => { await serve.close(); });
  const echo = (): EchoServer => ({
    wsUrl: (path) => wsUrl(serve.url, `/echo${path}`),
    events: async () => JSON.parse((await serve.get('/echo/events')).body) as Record<string, unknown>[],
  });
  echoCases(echo);
});
