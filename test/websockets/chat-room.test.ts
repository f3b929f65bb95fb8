// The chat-room example, bundled from examples/chat-room as `islet dev` and `islet deploy` bundle it:
// three clients in one room each receive every message, in one and the same order; a client joining
// later gets the last messages first, also after islet serve restarts on the same data directory.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { bundleWorker } from '../../src/host/workers/bundle-worker.js';
import { readWorkerConfig } from '../../src/host/workers/read-wrangler-config.js';
import { startTestServe } from '../helpers/serve.js';
import { startWorker, type WorkerServer } from '../helpers/worker-server.js';
import { connect, wsUrl, type TestSocket } from './ws-client.js';

const EXAMPLE = fileURLToPath(new URL('../../examples/chat-room/', import.meta.url));
interface ChatMessage { name: string; text: string }

async function chatCode(): Promise<string> {
  const config = readWorkerConfig({ cwd: EXAMPLE });
  assert.deepEqual(config.durableObjects, [{ binding: 'ROOMS', className: 'ChatRoom' }]);
  return (await bundleWorker(config)).code;
}

async function messages(socket: TestSocket, n: number): Promise<ChatMessage[]> {
  return (await socket.texts(n)).map((text) => {
    const { name, text: body } = JSON.parse(text) as ChatMessage;
    return { name, text: body };
  });
}

describe('chat room under islet dev', () => {
  let server: WorkerServer;
  before(async () => {
    server = await startWorker(await chatCode(), { durableObjects: [{ binding: 'ROOMS', className: 'ChatRoom' }] });
  });
  after(async () => { await server.close(); });

  test('three clients each receive all 60 messages, in the same order, the senders interleaved', async () => {
    const names = ['ada', 'bob', 'cy'];
    const clients = await Promise.all(names.map((name) => connect(wsUrl(server.url, `/room/order?name=${name}`))));
    // Each sends 20 messages without waiting; the room decides one order and everyone must see it.
    for (let i = 0; i < 20; i++) clients.forEach((client, c) => client.ws.send(`${names[c]}-${i}`));
    const seen = await Promise.all(clients.map((client) => messages(client, 60)));
    assert.deepEqual(seen[1], seen[0]);
    assert.deepEqual(seen[2], seen[0]);
    // Every message once, each sender's in the order it sent them, under the sender's name.
    for (const name of names) {
      assert.deepEqual(seen[0]!.filter((m) => m.name === name).map((m) => m.text), Array.from({ length: 20 }, (_, i) => `${name}-${i}`));
    }
    // The history holds the last 50, in that same order.
    const history = (await (await server.fetch('/room/order')).json() as ChatMessage[]).map(({ name, text }) => ({ name, text }));
    assert.deepEqual(history, seen[0]!.slice(10));
    for (const client of clients) client.ws.close(1000);
    await Promise.all(clients.map((client) => client.closed));
  });

  test('rooms are apart: a message in one room does not reach another', async () => {
    const a = await connect(wsUrl(server.url, '/room/apart-a?name=ada'));
    const b = await connect(wsUrl(server.url, '/room/apart-b?name=bob'));
    a.ws.send('only in a');
    b.ws.send('only in b');
    assert.deepEqual(await messages(a, 1), [{ name: 'ada', text: 'only in a' }]);
    assert.deepEqual(await messages(b, 1), [{ name: 'bob', text: 'only in b' }]);
    a.ws.close(1000);
    b.ws.close(1000);
    await Promise.all([a.closed, b.closed]);
  });
});

describe('chat room across restarts', () => {
  test('a client joining after a restart of islet dev (same data directory) gets the room\'s last 50 messages first', async () => {
    const code = await chatCode();
    const dataDir = mkdtempSync(join(tmpdir(), 'islet-chat-'));
    const objects = { durableObjects: [{ binding: 'ROOMS', className: 'ChatRoom' }] };
    try {
      const first = await startWorker(code, objects, { dataDir });
      try {
        const client = await connect(wsUrl(first.url, '/room/kept?name=ada'));
        for (let i = 0; i < 55; i++) client.ws.send(`line ${i}`);
        assert.equal((await messages(client, 55)).at(-1)?.text, 'line 54');
        client.ws.close(1000);
        await client.closed;
      } finally {
        await first.close();
      }
      const second = await startWorker(code, objects, { dataDir });
      try {
        const late = await connect(wsUrl(second.url, '/room/kept?name=bob'));
        assert.deepEqual((await messages(late, 50)).map((m) => m.text), Array.from({ length: 50 }, (_, i) => `line ${i + 5}`));
        late.ws.close(1000);
        await late.closed;
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('long messages are kept too: 50 of 4,000 characters are more than one 128 KiB value holds', async () => {
    const code = await chatCode();
    const dataDir = mkdtempSync(join(tmpdir(), 'islet-chat-'));
    const objects = { durableObjects: [{ binding: 'ROOMS', className: 'ChatRoom' }] };
    const long = (i: number) => `${i}:`.padEnd(4000, 'x');
    try {
      const first = await startWorker(code, objects, { dataDir });
      try {
        const client = await connect(wsUrl(first.url, '/room/long?name=ada'));
        for (let i = 0; i < 60; i++) client.ws.send(long(i));
        assert.equal((await messages(client, 60)).at(-1)?.text, long(59));
        client.ws.close(1000);
        await client.closed;
      } finally {
        await first.close();
      }
      const second = await startWorker(code, objects, { dataDir });
      try {
        const late = await connect(wsUrl(second.url, '/room/long?name=bob'));
        assert.deepEqual((await messages(late, 50)).map((m) => m.text), Array.from({ length: 50 }, (_, i) => long(i + 10)));
        late.ws.close(1000);
        await late.closed;
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('a client joining after a restart of islet serve gets the room\'s last 50 messages first', async () => {
    const code = await chatCode();
    const first = await startTestServe();
    const dataDir = first.dataDir;
    try {
      const deployed = await first.deploy('chat', code, { config: { durableObjects: [{ binding: 'ROOMS', className: 'ChatRoom' }] } });
      assert.equal(deployed.status, 201, JSON.stringify(deployed.json));
      const client = await connect(wsUrl(first.url, '/chat/room/kept?name=ada'));
      for (let i = 0; i < 55; i++) client.ws.send(`line ${i}`);
      assert.equal((await messages(client, 55)).at(-1)?.text, 'line 54');
      client.ws.close(1000);
      await client.closed;
    } finally {
      await first.running.close(1_000);
    }
    const second = await startTestServe({}, dataDir);
    try {
      const late = await connect(wsUrl(second.url, '/chat/room/kept?name=bob'));
      const history = await messages(late, 50);
      assert.deepEqual(history.map((m) => m.text), Array.from({ length: 50 }, (_, i) => `line ${i + 5}`));
      late.ws.send('after the restart');
      assert.deepEqual(await messages(late, 1), [{ name: 'bob', text: 'after the restart' }]);
      late.ws.close(1000);
      await late.closed;
    } finally {
      await second.close();
    }
  });
});
