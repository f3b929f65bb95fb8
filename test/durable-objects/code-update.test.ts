// Durable Objects through a deploy, as Cloudflare's default code update strategy (`deferred`, max_delay
// 300 s) has it: an object that is active when the new version arrives keeps running its current code,
// and keeps answering, until it goes idle (then its next event runs the new code) or until max_delay has
// passed, when it is reset (its WebSockets closed) and adopts the new code. Objects not running get the
// new code at once.
// @see https://developers.cloudflare.com/durable-objects/deployments/durable-objects-code-updates/
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Islet } from '../../src/host/islet.js';
import { MemoryLogSink } from '../../src/host/observability/log-sink.js';
import { defaultServeConfig } from '../../src/host/platform/serve-config.js';
import { createHttpFront, listen } from '../../src/host/server/http-front.js';
import { DevWorker } from '../../src/host/workers/dev-worker.js';
import { readWorkerConfig } from '../../src/host/workers/read-wrangler-config.js';
import { startTestServe, type TestServe } from '../helpers/serve.js';
import { connect, wsUrl, type TestSocket } from '../websockets/ws-client.js';
import { CODE_UPDATE_BINDINGS, codeUpdateWorker } from './code-update-worker.js';

const config = { durableObjects: CODE_UPDATE_BINDINGS };

/** Rejects when `promise` takes longer than `ms`: a request to an active object must not wait on it going idle. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms); });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

async function say(socket: TestSocket, text: string): Promise<string> {
  socket.ws.send(text);
  return (await within(socket.next(), 3_000, `the answer to "${text}"`)).text ?? '<binary>';
}

async function deploy(serve: TestServe, version: string): Promise<void> {
  const answer = await serve.deploy('cu', codeUpdateWorker(version), { config });
  assert.equal(answer.status, 201, JSON.stringify(answer.json));
}

describe('Durable Object code updates under islet serve', () => {
  test('an object held active by a WebSocket keeps answering with its code after a deploy; others get the new code', { timeout: 30_000 }, async () => {
    const serve = await startTestServe();
    const sockets: TestSocket[] = [];
    try {
      await deploy(serve, 'v1');
      const plain = await connect(wsUrl(serve.url, '/cu/plain/room42'));
      const hib = await connect(wsUrl(serve.url, '/cu/hib/lobby'));
      sockets.push(plain, hib);
      assert.equal(await say(plain, 'hi'), 'v1 hi');
      assert.equal(await say(hib, 'hi'), 'v1 hi');

      await deploy(serve, 'v2');
      assert.equal((await serve.get('/cu/version/x')).body, 'v2');
      const held = await within(serve.get('/cu/plain/room42'), 5_000, 'a request to the active object');
      assert.deepEqual([held.status, held.body], [200, 'v1'], 'the active object answers from the code it runs');
      assert.equal(await say(plain, 'still there'), 'v1 still there');
      const joined = await within(connect(wsUrl(serve.url, '/cu/plain/room42')), 5_000, 'a new WebSocket to the active object');
      sockets.push(joined);
      assert.equal(await say(joined, 'hello'), 'v1 hello');
      assert.equal((await within(serve.get('/cu/plain/elsewhere'), 5_000, 'a request to another object')).body, 'v2');
      // Between events an object with only hibernatable sockets is not active: its next event runs the new code.
      assert.equal(await say(hib, 'after'), 'v2 after');
      assert.equal((await serve.get('/cu/hib/lobby')).body, 'v2');
    } finally {
      for (const socket of sockets) socket.ws.terminate();
      await serve.close();
    }
  });

  test('past max_delay the active object is reset: its WebSockets close with 1012 and its next request runs the new code', { timeout: 30_000 }, async () => {
    const serve = await startTestServe({ durableObjects: { ...defaultServeConfig('').durableObjects, codeUpdateMaxDelayMs: 1_500 } });
    const sockets: TestSocket[] = [];
    try {
      await deploy(serve, 'v1');
      const plain = await connect(wsUrl(serve.url, '/cu/plain/room42'));
      sockets.push(plain);
      assert.equal(await say(plain, 'hi'), 'v1 hi');
      const deployed = performance.now();
      await deploy(serve, 'v2');
      assert.equal((await serve.get('/cu/plain/room42')).body, 'v1', 'within max_delay the running code answers');
      const closed = await within(plain.closed, 10_000, 'the close of the old socket');
      assert.equal(closed.code, 1012);
      assert.ok(performance.now() - deployed >= 1_000, 'not before max_delay');
      assert.equal((await within(serve.get('/cu/plain/room42'), 5_000, 'a request after the reset')).body, 'v2');
    } finally {
      for (const socket of sockets) socket.ws.terminate();
      await serve.close();
    }
  });
});

describe('Durable Object code updates under islet dev', () => {
  test('a reload leaves the active object its code until max_delay, then closes its WebSocket with 1012', { timeout: 30_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'islet-code-update-'));
    writeFileSync(join(dir, 'wrangler.toml'), [
      'name = "cu"', 'main = "index.js"', '',
      ...CODE_UPDATE_BINDINGS.flatMap((b) => ['[[durable_objects.bindings]]', `name = "${b.binding}"`, `class_name = "${b.className}"`, '']),
    ].join('\n'));
    writeFileSync(join(dir, 'index.js'), codeUpdateWorker('v1'));
    const islet = new Islet({ dataDir: join(dir, '.islet'), log: new MemoryLogSink(), durableObjects: { codeUpdateMaxDelayMs: 1_500 } });
    let reloaded = (): void => {};
    const dev = new DevWorker(islet, () => readWorkerConfig({ cwd: dir }), { onReloaded: () => reloaded() });
    const server: Server = createHttpFront({ route: () => dev });
    const sockets: TestSocket[] = [];
    try {
      await dev.start();
      const url = `http://127.0.0.1:${(await listen(server, 0, '127.0.0.1')).port}`;
      const get = async (path: string) => (await within(fetch(url + path), 5_000, `GET ${path}`)).text();
      const plain = await connect(wsUrl(url, '/plain/room42'));
      sockets.push(plain);
      assert.equal(await say(plain, 'hi'), 'v1 hi');

      const swapped = new Promise<void>((resolve) => { reloaded = resolve; });
      writeFileSync(join(dir, 'index.js'), codeUpdateWorker('v2'));
      await within(swapped, 10_000, 'the reload');
      const changed = performance.now();
      assert.equal(await get('/version/x'), 'v2');
      assert.equal(await get('/plain/room42'), 'v1', 'the active object answers from the code it runs');
      assert.equal(await get('/plain/elsewhere'), 'v2');
      const closed = await within(plain.closed, 10_000, 'the close of the old socket');
      assert.equal(closed.code, 1012);
      assert.ok(performance.now() - changed >= 1_000, 'not before max_delay');
      assert.equal(await get('/plain/room42'), 'v2');
    } finally {
      for (const socket of sockets) socket.ws.terminate();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      dev.close();
      islet.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
