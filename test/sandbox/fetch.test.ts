// fetch() from inside a real isolate to a local origin, against https://fetch.spec.whatwg.org/#fetch-method.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { startWorker, type WorkerServer } from '../helpers/worker-server.js';

describe('fetch', () => {
  let origin: Server;
  let worker: WorkerServer;
  const seen: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[] = [];

  before(async () => {
    origin = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() });
        res.writeHead(201, 'Made', [['content-type', 'application/json'], ['set-cookie', 'a=1'], ['set-cookie', 'b=2'], ['x-origin', 'yes']].flat());
        res.end(JSON.stringify({ echoed: Buffer.concat(chunks).toString() }));
      });
    });
    await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
    const port = (origin.address() as AddressInfo).port;
    worker = await startWorker(`export default { async fetch() {
      const response = await fetch('http://api.example/items?x=1', {
        method: 'POST', body: JSON.stringify({ n: 1 }), headers: { 'content-type': 'application/json', 'X-Sent': 'v' },
      });
      return Response.json({
        status: response.status, statusText: response.statusText, ok: response.ok, url: response.url, redirected: response.redirected,
        type: response.headers.get('content-type'), cookies: response.headers.getSetCookie(), origin: response.headers.get('x-origin'),
        immutable: (() => { try { response.headers.set('a', 'b'); return 'no error'; } catch (e) { return e.constructor.name; } })(),
        body: await response.json(), used: response.bodyUsed,
        badUrl: await fetch('not a url').then(() => 'no error', (e) => e.constructor.name),
      });
    } }`, {}, { outboundRoutes: new Map([['api.example', `http://127.0.0.1:${port}`]]) });
  });
  after(async () => {
    await worker.close();
    await new Promise<void>((resolve) => origin.close(() => resolve()));
  });

  test('sends method, headers and body, and exposes the response with immutable headers', async () => {
    const response = await worker.fetch('/');
    const text = await response.text();
    assert.equal(response.status, 200, text);
    assert.deepEqual(JSON.parse(text), {
      status: 201, statusText: 'Made', ok: true, url: 'http://api.example/items?x=1', redirected: false,
      type: 'application/json', cookies: ['a=1', 'b=2'], origin: 'yes', immutable: 'TypeError',
      body: { echoed: '{"n":1}' }, used: true, badUrl: 'TypeError',
    });
    assert.equal(seen.length, 1);
    assert.equal(seen[0]!.method, 'POST');
    assert.equal(seen[0]!.url, '/items?x=1');
    assert.equal(seen[0]!.headers['x-sent'], 'v');
    assert.equal(seen[0]!.headers['content-type'], 'application/json');
    assert.equal(seen[0]!.body, '{"n":1}');
  });
});

describe('fetch with an AbortSignal', () => {
  test('an aborted signal rejects with its reason, before the fetch and while it waits', async () => {
    const slow = createServer((_req, res) => { setTimeout(() => res.end('late'), 1_500); });
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
    const port = (slow.address() as AddressInfo).port;
    const worker = await startWorker(`export default { async fetch() {
      const name = (e) => e instanceof DOMException ? e.name : e?.constructor?.name;
      const before = await fetch('http://slow.example/', { signal: AbortSignal.abort() }).then(() => 'resolved', name);
      const started = Date.now();
      const during = await fetch('http://slow.example/', { signal: AbortSignal.timeout(100) }).then(() => 'resolved', name);
      const controller = new AbortController();
      setTimeout(() => controller.abort(new RangeError('mine')), 50);
      const custom = await fetch('http://slow.example/', { signal: controller.signal }).then(() => 'resolved', name);
      return Response.json({ before, during, custom, promptly: Date.now() - started < 1_000 });
    } }`, {}, { outboundRoutes: new Map([['slow.example', `http://127.0.0.1:${port}`]]) });
    try {
      const response = await worker.fetch('/');
      const text = await response.text();
      assert.equal(response.status, 200, text);
      // Fetch Standard: abort with the signal's reason (AbortError by default, TimeoutError for timeout()).
      assert.deepEqual(JSON.parse(text), { before: 'AbortError', during: 'TimeoutError', custom: 'RangeError', promptly: true });
    } finally {
      await worker.close();
      slow.closeAllConnections();
      await new Promise<void>((resolve) => slow.close(() => resolve()));
    }
  });
});
