// WebSocket hibernation: a Durable Object whose sockets were all accepted with ctx.acceptWebSocket()
// leaves memory once idle (Cloudflare: after about 10 s; 200 ms here) while its clients stay connected.
// The next event runs the constructor again and then the handler, with the same sockets, tags and
// attachments. A socket accepted with accept() keeps its object in memory.
// @see https://developers.cloudflare.com/durable-objects/best-practices/websockets/
// @see https://developers.cloudflare.com/durable-objects/concepts/durable-object-lifecycle/
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServe } from '../helpers/serve.js';
import { startWorker, type WorkerServer } from '../helpers/worker-server.js';
import { connect, wsUrl, type TestSocket } from '../websockets/ws-client.js';
import { HIBERNATION_BINDINGS, HIBERNATION_WORKER, waitUntil } from './hibernation-worker.js';

const IDLE_MS = 200;
/** Long enough for the idle time and the sweep that follows it. */
const HIBERNATE_MS = IDLE_MS * 4;

interface Whoami {
  constructions: number; memory: string | null; attachment: { name: string; padding?: string } | null; tags: string[];
  sockets: number; tagged: string[]; autoResponse: string | null; autoResponseAt: number | null;
}

const opened: TestSocket[] = [];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function join(server: { url: string }, room: string, name: string, query = ''): Promise<TestSocket> {
  const socket = await connect(wsUrl(server.url, `/room?room=${room}&name=${name}${query}`));
  opened.push(socket);
  const hello = JSON.parse((await socket.next()).text ?? '{}') as { hello: string };
  assert.equal(hello.hello, name);
  return socket;
}

async function whoami(socket: TestSocket, tag = ''): Promise<Whoami> {
  socket.ws.send(`whoami ${tag}`);
  return JSON.parse((await socket.next()).text ?? '{}') as Whoami;
}

async function state(server: WorkerServer, room: string): Promise<Record<string, unknown>> {
  return await (await server.fetch(`/state?room=${room}`)).json() as Record<string, unknown>;
}

describe('WebSocket hibernation (islet dev)', () => {
  let server: WorkerServer;
  before(async () => {
    server = await startWorker(HIBERNATION_WORKER, { durableObjects: HIBERNATION_BINDINGS, limits: { cpuMs: 1_000 } }, { durableObjects: { idleMs: IDLE_MS } });
  });
  after(async () => {
    for (const socket of opened) socket.ws.terminate();
    await server.close();
  });

  test('an idle object leaves memory with its sockets open; the next message builds it again with their tags and attachments', async () => {
    const ada = await join(server, 'sleepy', 'ada');
    const bob = await join(server, 'sleepy', 'bob');
    ada.ws.send('remember the lighthouse');
    assert.equal((await ada.next()).text, 'remembered');
    const awake = await whoami(ada);
    assert.deepEqual([awake.constructions, awake.memory], [1, 'the lighthouse']);

    await sleep(HIBERNATE_MS);
    const woken = await whoami(bob, 'ada');
    // The constructor ran again and the in-memory state is gone; what the host kept is all there.
    assert.equal(woken.constructions, 2);
    assert.equal(woken.memory, null);
    assert.deepEqual(woken.attachment, { name: 'bob' });
    assert.deepEqual(woken.tags, ['bob', 'everyone']);
    assert.equal(woken.sockets, 2);
    assert.deepEqual(woken.tagged, ['ada']);
    // Sockets the new instance has not seen yet are reachable through getWebSockets().
    bob.ws.send('broadcast after the nap');
    assert.deepEqual([(await ada.next()).text, (await bob.next()).text], ['after the nap', 'after the nap']);
    assert.equal((await state(server, 'sleepy')).constructions, 2);
  });

  test('a socket accepted with accept() keeps its object, and its isolate, busy', async () => {
    const socket = await connect(wsUrl(server.url, '/pinned?room=pinned'));
    opened.push(socket);
    socket.ws.send('hello');
    assert.equal(JSON.parse((await socket.next()).text ?? '{}').constructions, 1);
    await sleep(HIBERNATE_MS);
    assert.ok((server.workers.get('test')?.instance?.inFlight ?? 0) > 0, 'the socket holds its request open');
    socket.ws.send('still there?');
    assert.equal(JSON.parse((await socket.next()).text ?? '{}').constructions, 1);
    socket.ws.close(1000);
    await socket.closed;
  });

  test('a client closing while its object hibernates wakes it for webSocketClose(), which still reads the attachment', async () => {
    const ada = await join(server, 'farewell', 'ada');
    await sleep(HIBERNATE_MS);
    ada.ws.close(1000, 'bye');
    await ada.closed;
    const after = await waitUntil(() => state(server, 'farewell'), (s) => Array.isArray(s.left), 5_000);
    assert.deepEqual(after.left, [{ name: 'ada', code: 1000, wasClean: true, constructions: 2 }]);
  });

  test('serializeAttachment() refuses a value over 2,048 bytes serialized and keeps the last one', async () => {
    const ada = await join(server, 'attachments', 'ada');
    ada.ws.send('attach 100');
    assert.equal((await ada.next()).text, 'attached');
    ada.ws.send('attach 3000');
    assert.match((await ada.next()).text ?? '', /^refused .*2,?048/);
    await sleep(HIBERNATE_MS);
    assert.equal((await whoami(ada)).attachment?.padding?.length, 100);
  });

  test('the auto-response is answered without waking the object', async () => {
    const ada = await join(server, 'pings', 'ada', '&auto');
    await sleep(HIBERNATE_MS);
    const before = Date.now();
    ada.ws.send('ping');
    assert.equal((await ada.next()).text, 'pong');
    await sleep(HIBERNATE_MS);
    const seen = await whoami(ada);
    // Built at the connection and once more for this message: the ping did not build it.
    assert.equal(seen.constructions, 2);
    assert.equal(seen.autoResponse, 'pong');
    assert.ok(seen.autoResponseAt !== null && seen.autoResponseAt >= before - 5, 'the ping\'s time is kept');
  });
});

describe('WebSocket hibernation and the isolate pool (islet dev)', () => {
  test('with its objects hibernated the isolate has nothing running and may go; the next message starts one', async () => {
    const server = await startWorker(HIBERNATION_WORKER, { durableObjects: HIBERNATION_BINDINGS, limits: { cpuMs: 1_000 } }, { durableObjects: { idleMs: IDLE_MS } });
    try {
      const ada = await join(server, 'pool', 'ada');
      await sleep(HIBERNATE_MS);
      const worker = server.workers.get('test')!;
      assert.equal(worker.instance?.inFlight, 0);
      const first = worker.instance;
      worker.dispose();
      const woken = await whoami(ada, 'ada');
      assert.notEqual(worker.instance, first);
      assert.deepEqual([woken.constructions, woken.attachment, woken.tagged], [2, { name: 'ada' }, ['ada']]);
    } finally {
      for (const socket of opened) socket.ws.terminate();
      await server.close();
    }
  });
});

describe('WebSocket hibernation under islet serve (engine processes)', () => {
  test('after Cloudflare\'s 10 s without events the object is built again, its sockets still connected through the supervisor', { timeout: 40_000 }, async () => {
    const serve = await startTestServe();
    try {
      const deployed = await serve.deploy('hib', HIBERNATION_WORKER, { config: { durableObjects: HIBERNATION_BINDINGS } });
      assert.equal(deployed.status, 201, JSON.stringify(deployed.json));
      const front = { url: `${serve.url}/hib` };
      const ada = await join(front, 'engine', 'ada');
      const bob = await join(front, 'engine', 'bob');
      assert.equal((await whoami(ada)).constructions, 1);
      // Idle for 10 s, then swept within 5 s more.
      await sleep(15_500);
      const woken = await whoami(bob, 'ada');
      assert.deepEqual([woken.constructions, woken.attachment, woken.tags, woken.sockets, woken.tagged], [2, { name: 'bob' }, ['bob', 'everyone'], 2, ['ada']]);
      bob.ws.send('broadcast through the engine');
      assert.deepEqual([(await ada.next()).text, (await bob.next()).text], ['through the engine', 'through the engine']);
      ada.ws.close(1000);
      bob.ws.close(1000);
      await Promise.all([ada.closed, bob.closed]);
    } finally {
      for (const socket of opened) socket.ws.terminate();
      await serve.close();
    }
  });
});
