// WebSockets and the limits that stop an isolate: each message is an event with a CPU budget of its
// own, and an isolate cut off for CPU closes its sockets with 1011 (internal error, RFC 6455 7.4.1)
// while a neighbour worker, and its sockets, carry on. Checked in one process and under islet serve.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServe, type TestServe } from '../helpers/serve.js';
import { startWorkers, type WorkerServer } from '../helpers/worker-server.js';
import { ECHO_WORKER } from './echo-worker.js';
import { connect, wsUrl, type TestSocket } from './ws-client.js';

const CPU_MS = 50;

async function open(url: string): Promise<TestSocket> {
  const socket = await connect(url);
  assert.deepEqual(await socket.texts(1), ['hello']);
  return socket;
}

interface Pair { url(worker: string, path: string): string; get(worker: string, path: string): Promise<number> }

function cases(server: () => Pair): void {
  test('each message has its own CPU budget: four 20 ms messages under a 50 ms limit all run', async () => {
    const socket = await open(server().url('hog', '/ws'));
    for (let i = 0; i < 4; i++) {
      socket.ws.send('burn:20');
      const answer = await Promise.race([socket.texts(1), socket.closed.then((closed) => [`closed ${closed.code} ${closed.reason}`])]);
      assert.deepEqual(answer, ['burnt'], `message ${i}`);
    }
    socket.ws.close(1000);
    await socket.closed;
  });

  test('an isolate stopped for CPU closes its sockets with 1011; the neighbour\'s socket and requests go on', async () => {
    const first = await open(server().url('hog', '/ws'));
    const second = await open(server().url('hog', '/ws'));
    const neighbour = await open(server().url('neighbour', '/ws'));
    first.ws.send('spin');
    assert.equal((await first.closed).code, 1011);
    assert.equal((await second.closed).code, 1011);
    neighbour.ws.send('after');
    assert.deepEqual(await neighbour.texts(1), ['echo:after']);
    assert.equal(await server().get('neighbour', '/events'), 200);
    // The worker itself comes back in a fresh isolate.
    const again = await open(server().url('hog', '/ws'));
    again.ws.send('back');
    assert.deepEqual(await again.texts(1), ['echo:back']);
    again.ws.close(1000);
    neighbour.ws.close(1000);
    await Promise.all([again.closed, neighbour.closed]);
  });
}

describe('WebSockets and isolate limits under islet dev', () => {
  let server: WorkerServer;
  before(async () => {
    server = await startWorkers([
      { name: 'hog', code: ECHO_WORKER, limits: { cpuMs: CPU_MS } },
      { name: 'neighbour', code: ECHO_WORKER },
    ]);
  });
  after(async () => { await server.close(); });
  cases(() => ({
    url: (worker, path) => wsUrl(server.url, `/${worker}${path}`),
    get: async (worker, path) => (await server.fetch(`/${worker}${path}`)).status,
  }));
});

describe('WebSockets and isolate limits under islet serve', () => {
  let serve: TestServe;
  before(async () => {
    serve = await startTestServe();
    for (const [name, limits] of [['hog', { cpuMs: CPU_MS }], ['neighbour', {}]] as const) {
      const deployed = await serve.deploy(name, ECHO_WORKER, { config: { limits } });
      assert.equal(deployed.status, 201, JSON.stringify(deployed.json));
    }
  });
  after(async () => { await serve.close(); });
  cases(() => ({
    url: (worker, path) => wsUrl(serve.url, `/${worker}${path}`),
    get: async (worker, path) => (await serve.get(`/${worker}${path}`)).status,
  }));
});
