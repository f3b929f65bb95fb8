// The echo worker's conversation, checked the same way whichever server runs it: islet dev's front door
// in one process, or islet serve with the worker in an engine process. Expected values come from RFC
// 6455 (close codes, the echoed close frame), the WHATWG WebSocket spec (close() validation) and
// Cloudflare's documentation (1 MiB messages, the reply to a close frame).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import WebSocket from 'ws';
import { connect, type TestSocket } from './ws-client.js';

export interface EchoServer {
  /** ws:// URL of a path of the echo worker. */
  wsUrl(path: string): string;
  /** What the worker's sockets saw (GET /events). */
  events(): Promise<Record<string, unknown>[]>;
}

const MIB = 1024 * 1024;

async function open(server: EchoServer, path = '/ws'): Promise<TestSocket> {
  const socket = await connect(server.wsUrl(path));
  // Sent by the worker before it returned its 101: it arrives first.
  assert.deepEqual(await socket.texts(1), ['hello']);
  return socket;
}

/** The worker records its close event after the client saw its own: wait for it to appear. */
async function eventWhere(server: EchoServer, match: (event: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
  for (let i = 0; i < 100; i++) {
    const found = (await server.events()).find(match);
    if (found !== undefined) return found;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.fail(`the worker never saw the expected event: ${JSON.stringify(await server.events())}`);
}

export function echoCases(server: () => EchoServer): void {
  test('text and binary messages come back, in order, with the worker\'s handshake headers', async () => {
    const headers = new Promise<Record<string, unknown>>((resolve) => {
      const ws = new WebSocket(server().wsUrl('/headers'));
      ws.on('upgrade', (res) => { resolve(res.headers); ws.terminate(); });
      ws.on('error', () => {});
    });
    assert.equal((await headers)['x-echo'], 'yes');
    const socket = await open(server());
    for (let i = 0; i < 20; i++) socket.ws.send(`m${i}`);
    assert.deepEqual(await socket.texts(20), Array.from({ length: 20 }, (_, i) => `echo:m${i}`));
    const bytes = Buffer.from([0, 1, 2, 253, 254, 255]);
    socket.ws.send(bytes);
    const back = await socket.next();
    assert.equal(back.text, null);
    assert.deepEqual(back.bytes, bytes);
    socket.ws.send('state');
    assert.deepEqual(await socket.texts(1), ['state:1:1']);
    socket.ws.close(1000);
    assert.equal((await socket.closed).code, 1000);
  });

  test('a message of exactly 1 MiB passes; one byte more closes the socket with 1009', async () => {
    const socket = await open(server());
    const max = Buffer.alloc(MIB, 7);
    socket.ws.send(max);
    assert.equal((await socket.next()).bytes?.byteLength, MIB);
    socket.ws.send(Buffer.alloc(MIB + 1, 7));
    assert.equal((await socket.closed).code, 1009);
    const seen = await eventWhere(server(), (e) => e.close === 1009);
    assert.equal(seen.wasClean, false);
  });

  test('the client closes: it gets its code echoed (RFC 6455 5.5.1) and the worker a CloseEvent, already CLOSED', async () => {
    const socket = await open(server());
    socket.ws.close(4000, 'client bye');
    assert.deepEqual(await socket.closed, { code: 4000, reason: 'client bye' });
    const seen = await eventWhere(server(), (e) => e.close === 4000);
    assert.deepEqual(seen, { close: 4000, reason: 'client bye', wasClean: true, readyState: 3, isCloseEvent: true });
  });

  test('the worker closes with its code and reason; the client\'s answer reaches the worker', async () => {
    const socket = await open(server());
    socket.ws.send('close:4001:worker bye');
    assert.deepEqual(await socket.closed, { code: 4001, reason: 'worker bye' });
    const seen = await eventWhere(server(), (e) => e.close === 4001);
    assert.equal(seen.wasClean, true);
  });

  test('close() refuses codes other than 1000 and 3000-4999 (InvalidAccessError) and reasons over 123 bytes (SyntaxError)', async () => {
    const socket = await open(server());
    for (const code of [1001, 1011, 2999, 5000, 999]) {
      socket.ws.send(`badclose:${code}`);
      assert.deepEqual(await socket.texts(1), ['threw:InvalidAccessError:true:15'], `close(${code})`);
    }
    socket.ws.send('longreason');
    assert.deepEqual(await socket.texts(1), ['threw:SyntaxError:true']);
    // Nothing was closed by the refused calls.
    socket.ws.send('still here');
    assert.deepEqual(await socket.texts(1), ['echo:still here']);
    socket.ws.send('badclose:3000');
    assert.equal((await socket.closed).code, 3000);
  });

  test('a client that does not read fills the send buffer: the socket closes with 1011 on both sides', async () => {
    const socket = await open(server());
    socket.ws.pause();
    socket.ws.send('flood');
    await new Promise((resolve) => setTimeout(resolve, 300));
    socket.ws.resume();
    let received = 0;
    const counting = (async () => { for (;;) { await socket.next(); received++; } })();
    void counting;
    // The reason says it was the buffer, not the isolate being stopped for a limit.
    assert.deepEqual(await socket.closed, { code: 1011, reason: 'The WebSocket send buffer is full: the client is not reading.' });
    // 32 MiB were sent at once; far fewer fit in the 8 MiB buffer (plus what the kernel took).
    assert.ok(received < 32, `received ${received} of 32 messages`);
    const seen = await eventWhere(server(), (e) => e.close === 1011);
    assert.equal(seen.wasClean, false);
  });

  test('an upgrade the worker refuses is an ordinary HTTP response', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(server().wsUrl('/deny'));
      ws.on('unexpected-response', (_req, res) => { resolve(res.statusCode ?? 0); res.resume(); });
      ws.on('open', () => reject(new Error('the handshake should not complete')));
      ws.on('error', () => {});
    });
    assert.equal(status, 403);
  });
}
