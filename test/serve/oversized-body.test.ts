// A body that grows past the 100 MB limit while the worker reads it: the client gets 413 from the
// front door, and the request is reported as the client saw it (status 413, not the worker's 500 for
// the read that failed), with the trace id the 413 carries.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, test } from 'node:test';
import type { PlatformObserver, RequestOutcome } from '../../src/host/observability/platform-observer.js';
import { MAX_REQUEST_BODY } from '../../src/host/server/http-front.js';
import { eventually } from '../helpers/cli.js';
import { startTestServe, type TestServe } from '../helpers/serve.js';

const READER = `export default { async fetch(request) {
  const body = await request.arrayBuffer();
  return new Response(String(body.byteLength));
} }`;

const outcomes: RequestOutcome[] = [];
const recorder: PlatformObserver = { request: (outcome) => { outcomes.push(outcome); } };
let serve: TestServe;
before(async () => {
  serve = await startTestServe({ engines: 1 }, undefined, { observers: [recorder] });
  assert.equal((await serve.deploy('reader', READER)).status, 201);
});
after(async () => { await serve?.close(); });

/** A chunked upload of `bytes`; resolves with the status and headers the client got. */
function upload(bytes: number): Promise<{ status: number; traceId: string | undefined }> {
  const { hostname, port } = new URL(serve.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, method: 'POST', path: '/reader/up', headers: { 'transfer-encoding': 'chunked' } }, (res) => {
      res.resume();
      resolve({ status: res.statusCode!, traceId: res.headers['x-trace-id'] as string | undefined });
    });
    req.on('error', reject);
    const chunk = Buffer.alloc(1024 * 1024, 1);
    let sent = 0;
    const pump = () => {
      while (sent < bytes) {
        const size = Math.min(chunk.length, bytes - sent);
        sent += size;
        if (!req.write(size === chunk.length ? chunk : chunk.subarray(0, size))) { req.once('drain', pump); return; }
      }
      req.end();
    };
    pump();
  });
}

test('past the limit mid-stream: 413 with its trace id, reported as 413 and not as the worker\'s exception', { timeout: 60_000 }, async () => {
  const { status, traceId } = await upload(MAX_REQUEST_BODY + 1024 * 1024);
  assert.equal(status, 413);
  assert.match(traceId ?? '', /^[0-9a-f]{32}$/);
  await eventually(async () => outcomes.some((o) => o.traceId === traceId));
  const outcome = outcomes.find((o) => o.traceId === traceId)!;
  assert.equal(outcome.status, 413);
  assert.equal(outcome.failure, null);
});
