// An object stuck in a loop, as Cloudflare documents it: the object exceeds its CPU time limit and is
// reset, and the stub call throws in the caller ("Durable Object exceeded its CPU time limit and was
// reset."), which can catch it and carry on. @see https://developers.cloudflare.com/durable-objects/best-practices/error-handling/
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { WebSocket } from 'ws';
import type { RequestOutcome } from '../../src/host/observability/platform-observer.js';
import { startWorker, type WorkerServer } from '../helpers/worker-server.js';
import { startTestServe } from '../helpers/serve.js';

const MESSAGE = 'Durable Object exceeded its CPU time limit and was reset.';

const WORKER = `
import { DurableObject } from 'cloudflare:workers';
let callerRequests = 0;
export class Spinner extends DurableObject {
  constructor(ctx, env) { super(ctx, env); this.calls = 0; }
  async spin() { await this.ctx.storage.put('unconfirmed', true); for (;;) {} }
  async fetch(request) {
    if (request.headers.get('upgrade') === 'websocket') {
      const [client, server] = Object.values(new WebSocketPair());
      server.accept();
      server.addEventListener('message', (event) => server.send('echo ' + event.data));
      return new Response(null, { status: 101, webSocket: client });
    }
    for (;;) {}
  }
  async bump() { this.calls++; const n = ((await this.ctx.storage.get('n')) ?? 0) + 1; await this.ctx.storage.put('n', n); return { stored: n, inMemory: this.calls }; }
  async unconfirmed() { return (await this.ctx.storage.get('unconfirmed')) ?? null; }
}
export default {
  async fetch(request, env) {
    callerRequests++;
    const url = new URL(request.url);
    const stub = env.SPINNER.getByName(url.searchParams.get('name') ?? 'a');
    // Served at / here and under /<worker>/ in islet serve.
    if (url.pathname.endsWith('/uncaught')) return await stub.fetch('https://object/');
    if (url.pathname.endsWith('/ws')) return stub.fetch(request);
    if (url.pathname.endsWith('/bump')) return Response.json(await stub.bump());
    if (url.pathname.endsWith('/unconfirmed')) return Response.json(await stub.unconfirmed());
    const caught = [];
    for (const attempt of [() => stub.spin(), () => stub.fetch('https://object/')]) {
      try { await attempt(); caught.push(null); } catch (e) { caught.push({ isError: e instanceof Error, name: e.name, message: e.message }); }
    }
    return Response.json({ caught, callerRequests });
  },
};
`;

const CONFIG = { durableObjects: [{ binding: 'SPINNER', className: 'Spinner' }], limits: { cpuMs: 100 } };

describe('a Durable Object past its CPU limit', () => {
  let server: WorkerServer;
  before(async () => { server = await startWorker(WORKER, CONFIG); });
  after(() => server.close());
  const json = async (path: string): Promise<any> => {
    const response = await server.fetch(path);
    assert.equal(response.status, 200, await response.clone().text());
    return response.json();
  };

  test('the stub call throws Cloudflare\'s error in the caller, which catches it and keeps its own state', { timeout: 30_000 }, async () => {
    assert.deepEqual(await json('/bump?name=a'), { stored: 1, inMemory: 1 });
    const first = await json('/spin?name=a');
    assert.deepEqual(first.caught, [
      { isError: true, name: 'Error', message: MESSAGE },
      { isError: true, name: 'Error', message: MESSAGE },
    ]);
    // The caller's isolate was not replaced: its module state counts on.
    const second = await json('/spin?name=a');
    assert.equal(second.callerRequests, first.callerRequests + 1);
  });

  test('the object is reset: its in-memory state starts over, what it had not committed is gone, its storage stays', { timeout: 30_000 }, async () => {
    assert.deepEqual(await json('/bump?name=b'), { stored: 1, inMemory: 1 });
    assert.deepEqual(await json('/bump?name=b'), { stored: 2, inMemory: 2 });
    await json('/spin?name=b');
    assert.deepEqual(await json('/bump?name=b'), { stored: 3, inMemory: 1 });
    assert.equal(await json('/unconfirmed?name=b'), null);
  });

  test('a socket accepted with accept() by the reset instance is closed with 1011 and does not hold the object shut', { timeout: 30_000 }, async () => {
    const socket = new WebSocket(`${server.url.replace('http', 'ws')}/ws?name=e`);
    const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)));
    await new Promise((resolve, reject) => { socket.once('open', resolve); socket.once('error', reject); });
    socket.send('hi');
    assert.equal(String(await new Promise((resolve) => socket.once('message', resolve))), 'echo hi');
    await json('/spin?name=e');
    // Before, the next event waited for the socket's event to end: until the client went away.
    const bumped = await Promise.race([json('/bump?name=e'), new Promise((resolve) => setTimeout(() => resolve('stalled'), 5_000))]);
    assert.deepEqual(bumped, { stored: 1, inMemory: 1 });
    assert.equal(await closed, 1011);
  });

  test('other objects of the worker are untouched', { timeout: 30_000 }, async () => {
    assert.deepEqual(await json('/bump?name=c'), { stored: 1, inMemory: 1 });
    await json('/spin?name=d');
    assert.deepEqual(await json('/bump?name=c'), { stored: 2, inMemory: 2 });
  });
});

describe('a Durable Object past its CPU limit in islet serve', () => {
  test('not caught, the caller\'s request fails as an exception counted as cpu_limit; the isolate and its objects live on', { timeout: 60_000 }, async () => {
    const outcomes: RequestOutcome[] = [];
    const serve = await startTestServe({ engines: 1 }, undefined, { observers: [{ request: (outcome) => { outcomes.push(outcome); } }] });
    try {
      assert.equal((await serve.deploy('spinner', WORKER, { config: CONFIG })).status, 201);
      assert.equal((await serve.get('/spinner/bump?name=calm')).body, JSON.stringify({ stored: 1, inMemory: 1 }));
      const uncaught = await serve.get('/spinner/uncaught?name=hostile');
      assert.equal(uncaught.status, 500);
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(outcomes.at(-1)?.failure, 'cpu_limit');
      assert.ok(serve.logs.lines.some((l) => l.worker === 'spinner' && l.message.includes(MESSAGE)), 'the object\'s breach is logged');
      // The same isolate still holds the calm object: its in-memory count went on.
      assert.equal((await serve.get('/spinner/bump?name=calm')).body, JSON.stringify({ stored: 2, inMemory: 2 }));
    } finally {
      await serve.close();
    }
  });
});
