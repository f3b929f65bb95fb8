// A hibernatable WebSocket's message is an event of its Durable Object like a fetch, an RPC call or an
// alarm: it passes the input gate (it waits while another event holds the object with
// blockConcurrencyWhile(), and runs in arrival order), and what it sends passes the output gate (it
// leaves only once the writes made before it are durable; when they are lost, so is the message).
// @see https://blog.cloudflare.com/durable-objects-easy-fast-correct-choose-three/
// @see https://developers.cloudflare.com/durable-objects/best-practices/websockets/
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startWorker, type WorkerServer } from '../helpers/worker-server.js';
import { connect, wsUrl, type TestSocket } from '../websockets/ws-client.js';
import { HIBERNATION_BINDINGS, HIBERNATION_WORKER } from './hibernation-worker.js';

/** Every client, so a failed test cannot leave one open and the server waiting for it. */
const opened: TestSocket[] = [];

async function join(server: WorkerServer, room: string, name: string): Promise<TestSocket> {
  const socket = await connect(wsUrl(server.url, `/room?room=${room}&name=${name}`));
  opened.push(socket);
  assert.match((await socket.next()).text ?? '', /"hello"/);
  return socket;
}

async function state(server: WorkerServer, room: string): Promise<Record<string, unknown>> {
  return await (await server.fetch(`/state?room=${room}`)).json() as Record<string, unknown>;
}

describe('WebSocket events and the Durable Object gates (islet dev)', () => {
  let server: WorkerServer;
  before(async () => {
    server = await startWorker(HIBERNATION_WORKER, { durableObjects: HIBERNATION_BINDINGS, limits: { cpuMs: 1_000 } });
  });
  after(async () => {
    for (const socket of opened) socket.ws.terminate();
    await server.close();
  });

  test('a read-modify-write under blockConcurrencyWhile() across a timer, from 5 clients at once, loses no update', async () => {
    const names = ['a', 'b', 'c', 'd', 'e'];
    const clients = await Promise.all(names.map((name) => join(server, 'counter', name)));
    for (let i = 0; i < 20; i++) for (const [c, client] of clients.entries()) client.ws.send(`incr ${names[c]}-${i}`);
    const replies = await Promise.all(clients.map((client) => client.texts(20)));
    assert.deepEqual(replies[0], Array.from({ length: 20 }, (_, i) => `counted a-${i}`));
    assert.equal((await state(server, 'counter')).count, 100);
    for (const client of clients) client.ws.close(1000);
    await Promise.all(clients.map((client) => client.closed));
  });

  test('a message that arrives while a fetch holds the object waits for it to finish', async () => {
    const client = await join(server, 'held', 'ada');
    const held = server.fetch('/hold?room=held&ms=400');
    // Sent once the hold has begun: the object reports the phase only after the hold has ended.
    await new Promise((resolve) => setTimeout(resolve, 150));
    client.ws.send('phase');
    assert.equal((await client.next()).text, 'phase released');
    assert.equal(await (await held).text(), 'released');
    client.ws.close(1000);
    await client.closed;
  });

  test('each socket\'s messages start their handlers in the order sent, however the handlers interleave', async () => {
    const names = ['x', 'y', 'z'];
    const clients = await Promise.all(names.map((name) => join(server, 'order', name)));
    for (let i = 0; i < 30; i++) for (const [c, client] of clients.entries()) client.ws.send(`seq ${names[c]}-${i}`);
    await Promise.all(clients.map((client) => client.texts(30)));
    const log = (await state(server, 'order')).log as string[];
    assert.equal(log.length, 90);
    for (const name of names) {
      assert.deepEqual(log.filter((entry) => entry.startsWith(`${name}-`)), Array.from({ length: 30 }, (_, i) => `${name}-${i}`));
    }
    for (const client of clients) client.ws.close(1000);
    await Promise.all(clients.map((client) => client.closed));
  });
});

describe('the output gate on WebSocket messages (islet dev)', () => {
  test('a message sent after a write is never seen when the object is reset before the write is durable', async () => {
    const server = await startWorker(HIBERNATION_WORKER, { durableObjects: HIBERNATION_BINDINGS, limits: { cpuMs: 100 } });
    try {
      const client = await join(server, 'doomed', 'ada');
      const received: (string | null)[] = [];
      client.ws.on('message', (data) => received.push(String(data)));
      client.ws.send('doomed');
      const closed = await client.closed;
      // The object exceeded its CPU limit before its write was committed: the write and the message
      // that followed it are both gone, and the client is told its socket failed.
      assert.deepEqual(received, []);
      assert.equal(closed.code, 1011);
      const after = await state(server, 'doomed');
      assert.equal(after.doomed, undefined);
    } finally {
      for (const socket of opened) socket.ws.terminate();
      await server.close();
    }
  });
});
