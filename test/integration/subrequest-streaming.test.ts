// Subrequest bodies stream both ways and aborting a subrequest reaches the origin: real isolates, a
// real node:http origin on loopback. Every check is ordered by the origin itself (it holds back the
// rest of a body until told to go on), so what is asserted is what arrived when, not how long it took.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { startWorker, type WorkerServer } from '../helpers/worker-server.js';

const MiB = 1024 * 1024;
const CHUNK = 64 * 1024;

/** Resolves when `open()` is called; lets the origin hold back a body until the test or the worker says so. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => { open = resolve; });
  return { wait, open };
}

/** Writes `total` bytes of a known pattern in CHUNK pieces, honouring backpressure; resolves once the last is written. */
async function writePattern(res: ServerResponse, total: number): Promise<void> {
  const chunk = Buffer.alloc(CHUNK, 7);
  for (let sent = 0; sent < total; sent += CHUNK) {
    if (res.destroyed) return;
    const piece = total - sent >= CHUNK ? chunk : chunk.subarray(0, total - sent);
    if (!res.write(piece)) await new Promise<void>((resolve) => { res.once('drain', resolve); res.once('close', resolve); });
  }
}

describe('subrequests that stream', () => {
  let origin: Server;
  let worker: WorkerServer;
  let held = gate();
  let bigSentLast = false;
  const connectionClosed = new Map<string, { promise: Promise<void>; resolve: () => void }>();
  const closedFor = (path: string) => {
    let entry = connectionClosed.get(path);
    if (entry === undefined) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => { resolve = r; });
      entry = { promise, resolve };
      connectionClosed.set(path, entry);
    }
    return entry;
  };

  before(async () => {
    origin = createServer((req: IncomingMessage, res: ServerResponse) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      // The origin sees the subrequest's connection close before its response was complete.
      res.on('close', () => { if (!res.writableFinished) closedFor(path).resolve(); });
      switch (path) {
        case '/big': {
          // 50 MB: the first chunk, then the rest only once the worker's client has the first.
          res.writeHead(200, { 'content-type': 'application/octet-stream', 'x-origin': 'big' });
          res.write(Buffer.alloc(CHUNK, 7));
          void held.wait.then(async () => {
            await writePattern(res, 50 * MiB - CHUNK);
            bigSentLast = true;
            res.end();
          });
          return;
        }
        case '/held': {
          // 2 MB: one chunk, the rest once someone has asked /release.
          res.writeHead(200);
          res.write(Buffer.alloc(CHUNK, 7));
          void held.wait.then(async () => { await writePattern(res, 2 * MiB - CHUNK); res.end(); });
          return;
        }
        case '/release': held.open(); res.end('released'); return;
        case '/echo': {
          const hash = createHash('sha256');
          let size = 0;
          req.on('data', (chunk: Buffer) => { size += chunk.byteLength; hash.update(chunk); });
          req.on('end', () => res.end(JSON.stringify({ size, sha256: hash.digest('hex'), chunked: req.headers['transfer-encoding'] === 'chunked' })));
          return;
        }
        case '/endless': res.writeHead(200); res.write(Buffer.alloc(CHUNK, 7)); return;
        case '/silent': return;
        default: res.writeHead(404); res.end();
      }
    });
    await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
    const port = (origin.address() as AddressInfo).port;
    worker = await startWorker(`export default { async fetch(request, env, ctx) {
      const url = new URL(request.url);
      const name = (e) => e instanceof DOMException ? e.name : e?.constructor?.name;
      switch (url.pathname) {
        case '/count': {
          const response = await fetch('http://origin.test/held');
          // The head is here while the origin still holds the rest of the body back.
          await (await fetch('http://origin.test/release')).text();
          const reader = response.body.getReader();
          let bytes = 0, chunks = 0;
          for (;;) {
            const { done, value } = await reader.read();
            if (done) break;
            bytes += value.byteLength;
            chunks++;
          }
          return Response.json({ status: response.status, bytes, chunks });
        }
        case '/pipe':
          return fetch('http://origin.test/echo', { method: 'POST', body: request.body, duplex: 'half' });
        case '/proxy':
          // A request passed on whole: fetch() makes a Request of it, which takes its body over.
          return fetch(new Request('http://origin.test/echo', request));
        case '/generated': {
          let i = 0;
          const body = new ReadableStream({ pull(controller) {
            if (i === 100) { controller.close(); return; }
            controller.enqueue(new Uint8Array(10_000).fill(i++));
          } });
          const response = await fetch('http://origin.test/echo', { method: 'PUT', body });
          return new Response(await response.text());
        }
        case '/abort-mid-body': {
          const controller = new AbortController();
          const response = await fetch('http://origin.test/endless', { signal: controller.signal });
          const reader = response.body.getReader();
          const first = await reader.read();
          controller.abort();
          const after = await reader.read().then(() => 'resolved', name);
          return Response.json({ first: first.value.byteLength > 0, after });
        }
        case '/timeout': {
          const outcome = await fetch('http://origin.test/silent', { signal: AbortSignal.timeout(100) }).then(() => 'resolved', name);
          return Response.json({ outcome });
        }
        case '/left-running':
          // Not awaited and not in waitUntil: the subrequest ends with the request's context.
          fetch('http://origin.test/endless?left').catch(() => {});
          return new Response('answered');
        default: return new Response('no such test', { status: 404 });
      }
    } }`, { limits: { cpuMs: 5_000 } }, { outboundRoutes: new Map([['origin.test', `http://127.0.0.1:${port}`]]) });
  });
  after(async () => {
    await worker.close();
    origin.closeAllConnections();
    await new Promise<void>((resolve) => origin.close(() => resolve()));
  });

  test('a subrequest response returned as it is streams through to the client (50 MB), at no CPU cost to the worker', async (t) => {
    held = gate();
    bigSentLast = false;
    // The default CPU budget (50 ms): the body never enters the isolate, so its size costs the worker nothing.
    const passing = await startWorker(`export default { fetch() { return fetch('http://origin.test/big'); } }`, {},
      { outboundRoutes: new Map([['origin.test', `http://127.0.0.1:${(origin.address() as AddressInfo).port}`]]) });
    t.after(() => passing.close());
    const response = await passing.fetch('/');
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('x-origin'), 'big');
    const reader = response.body!.getReader();
    const first = await reader.read();
    assert.ok(!first.done && first.value.byteLength > 0);
    // The client has bytes while the origin has not even been let to send the rest.
    assert.equal(bigSentLast, false);
    held.open();
    let total = first.value.byteLength;
    for (let next = await reader.read(); !next.done; next = await reader.read()) total += next.value.byteLength;
    assert.equal(total, 50 * MiB);
    assert.equal(bigSentLast, true);
  });

  test('fetch() resolves at the head, and the worker reads the body chunk by chunk', async () => {
    held = gate();
    const response = await worker.fetch('/count');
    const text = await response.text();
    assert.equal(response.status, 200, text + worker.logs.lines.map((l) => l.message).join('\n'));
    const result = JSON.parse(text) as { status: number; bytes: number; chunks: number };
    assert.equal(result.status, 200);
    assert.equal(result.bytes, 2 * MiB);
    assert.ok(result.chunks > 1, `read in ${result.chunks} chunk(s)`);
  });

  for (const path of ['/pipe', '/proxy']) test(`the incoming request's body, given as a subrequest's body, reaches the origin whole (${path})`, async () => {
    const body = Buffer.alloc(4 * MiB);
    for (let i = 0; i < body.length; i++) body[i] = (i * 31) & 0xff;
    // Sent chunked, so the worker gets it as a stream rather than whole.
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let at = 0; at < body.length; at += CHUNK) controller.enqueue(body.subarray(at, at + CHUNK));
        controller.close();
      },
    });
    const response = await worker.fetch(path, { method: 'POST', body: stream, duplex: 'half' } as RequestInit);
    const text = await response.text();
    assert.equal(response.status, 200, text);
    assert.deepEqual(JSON.parse(text), { size: body.length, sha256: createHash('sha256').update(body).digest('hex'), chunked: true });
  });

  test('a ReadableStream made in the worker is sent as a streamed body', async () => {
    const expected = Buffer.concat(Array.from({ length: 100 }, (_, i) => Buffer.alloc(10_000, i)));
    const response = await worker.fetch('/generated');
    const text = await response.text();
    assert.equal(response.status, 200, text);
    assert.deepEqual(JSON.parse(text), { size: expected.length, sha256: createHash('sha256').update(expected).digest('hex'), chunked: true });
  });

  test('aborting while the body is read errors it with the reason and closes the connection to the origin', async () => {
    const closed = closedFor('/endless').promise;
    const response = await worker.fetch('/abort-mid-body');
    const text = await response.text();
    assert.equal(response.status, 200, text);
    assert.deepEqual(JSON.parse(text), { first: true, after: 'AbortError' });
    await closed;
  });

  test('AbortSignal.timeout() against an origin that never answers rejects with TimeoutError and closes the connection', async () => {
    const closed = closedFor('/silent').promise;
    const response = await worker.fetch('/timeout');
    const text = await response.text();
    assert.equal(response.status, 200, text);
    assert.deepEqual(JSON.parse(text), { outcome: 'TimeoutError' });
    await closed;
  });

  test("a subrequest still running when its request's context ends is aborted", async () => {
    connectionClosed.delete('/endless');
    const closed = closedFor('/endless').promise;
    const response = await worker.fetch('/left-running');
    assert.equal(await response.text(), 'answered');
    await closed;
  });
});
