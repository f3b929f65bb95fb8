// WebSockets through islet dev's front door: the worker's isolate in the same process as the client's
// connection.
import { after, before, describe } from 'node:test';
import { startWorkers, type WorkerServer } from '../helpers/worker-server.js';
import { echoCases, type EchoServer } from './echo-cases.js';
import { ECHO_WORKER } from './echo-worker.js';
import { wsUrl } from './ws-client.js';

describe('WebSockets under islet dev', () => {
  let server: WorkerServer;
  // CPU to spare: copying 32 MiB out in one event must not hit the CPU limit on a busy machine.
  before(async () => { server = await startWorkers([{ name: 'echo', code: ECHO_WORKER, limits: { cpuMs: 2_000 } }]); });
  after(async () => { await server.close(); });
  const echo = (): EchoServer => ({
    wsUrl: (path) => wsUrl(server.url, path),
    events: async () => (await server.fetch('/events')).json() as Promise<Record<string, unknown>[]>,
  });
  echoCases(echo);
});
