// A compressed subrequest response reaches the worker decoded (as on Workers), and the headers it
// carries on must describe those decoded bytes: passing it through untouched must give the client
// the whole, readable body, not a gzip label on plain bytes or a content-length that cuts it short.
import assert from 'node:assert/strict';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { startWorker } from '../helpers/worker-server.js';

const TEXT = 'compressible '.repeat(20_000);

test('a gzip origin is read decoded, and passed through with headers that match the bytes', async (t) => {
  const gz = gzipSync(TEXT);
  const origin = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip', 'content-length': gz.byteLength, 'x-origin': 'yes' });
    res.end(gz);
  });
  await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
  t.after(() => origin.close());
  const worker = await startWorker(`export default { async fetch(request) {
    const upstream = await fetch('http://origin.test/');
    if (new URL(request.url).pathname === '/read') return new Response(String((await upstream.text()).length));
    return upstream;
  } }`, {}, { outboundRoutes: new Map([['origin.test', `http://127.0.0.1:${(origin.address() as AddressInfo).port}`]]) });
  t.after(() => worker.close());

  assert.equal(await (await worker.fetch('/read')).text(), String(TEXT.length));
  // A raw client (fetch() would decode on its own and hide a mislabelled body).
  const raw = await new Promise<{ headers: Record<string, unknown>; body: Buffer }>((resolve, reject) => {
    const url = new URL(worker.url);
    request({ host: url.hostname, port: url.port, path: '/pass' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    }).on('error', reject).end();
  });
  assert.equal(raw.headers['content-encoding'], undefined);
  assert.equal(raw.headers['x-origin'], 'yes');
  assert.notEqual(raw.headers['content-length'], String(gz.byteLength));
  assert.equal(raw.body.toString(), TEXT);
});
