// A request body node:http cannot parse (bad chunked framing) is answered 400 by node:http and its
// connection closed. A worker already reading that body must hear that the client is gone at once,
// not wait for bytes that will never come until its wall-clock limit: a few such requests would
// otherwise hold every concurrency slot of the worker for 30 s each.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import type { MemoryLogSink } from '../../src/host/observability/log-sink.js';
import { startWorker } from '../helpers/worker-server.js';
import { startTestServe } from '../helpers/serve.js';
import { eventually } from '../helpers/cli.js';

const WORKER = `export default {
  async fetch(request) {
    try { await request.arrayBuffer(); return new Response('read'); }
    catch (e) { console.log('body failed: ' + e.message); return new Response('failed', { status: 400 }); }
  },
};`;

interface Host { url: string; path: string; logs: MemoryLogSink; close(): Promise<void> }
const hosts: Record<string, Host> = {};
before(async () => {
  const dev = await startWorker(WORKER, {});
  hosts['islet dev'] = { url: dev.url, path: '/up', logs: dev.logs, close: () => dev.close() };
  const serve = await startTestServe();
  assert.equal((await serve.deploy('up', WORKER)).status, 201);
  hosts['islet serve'] = { url: serve.url, path: '/up/x', logs: serve.logs, close: () => serve.close() };
});
after(async () => { for (const host of Object.values(hosts)) await host.close(); });

function send(url: string, raw: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname, () => socket.end(raw));
    let reply = '';
    socket.on('data', (chunk) => { reply += chunk.toString(); });
    socket.on('error', () => {});
    socket.on('close', () => resolve(reply.split('\r\n')[0] ?? ''));
  });
}

for (const mode of ['islet dev', 'islet serve']) {
  for (const [what, body] of [['a chunk size that is not hex', 'zz\r\nabc\r\n0\r\n\r\n'], ['chunk data without its CRLF', '3\r\nabcXY0\r\n\r\n']] as const) {
    test(`${mode}, ${what}: the client gets 400 and the worker's read fails within seconds`, { timeout: 20_000 }, async () => {
      const host = hosts[mode]!;
      const failed = () => host.logs.lines.filter((l) => l.message.startsWith('body failed: '));
      const seen = failed().length;
      const status = await send(host.url, `POST ${host.path} HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n${body}`);
      assert.equal(status, 'HTTP/1.1 400 Bad Request');
      await eventually(async () => failed().length > seen, 5_000);
      assert.match(failed().at(-1)!.message, /disconnected/);
    });
  }
}
