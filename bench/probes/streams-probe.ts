// Runs in a fresh process: the same work done inside a worker's isolate and by bare Node side by side,
// in alternation, so that the machine's drifting load falls on both alike. Prints one JSON line.
//   - bytes through a TransformStream (a ReadableStream of 64 KiB chunks piped through an identity
//     TransformStream and read to the end);
//   - crypto.subtle.digest('SHA-256') of 1 MiB;
//   - a subrequest round trip to a local node:http server.
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { Islet } from '../../src/host/islet.js';
import { MemoryLogSink } from '../../src/host/observability/log-sink.js';

const streamMb = Number(process.env.STREAM_MB ?? 64);
const streamRounds = Number(process.env.STREAM_ROUNDS ?? 5);
const samples = Number(process.env.SAMPLES ?? 100);

// One function, run as it is in both places: its source is the worker's and Node's code alike.
const PIPE_SOURCE = `async function pipeBytes(size) {
  const chunk = new Uint8Array(64 * 1024);
  let sent = 0;
  const source = new ReadableStream({
    pull(controller) {
      if (sent >= size) { controller.close(); return; }
      controller.enqueue(chunk);
      sent += chunk.byteLength;
    },
  });
  const reader = source.pipeThrough(new TransformStream()).getReader();
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
  }
  return total;
}`;
const pipeBytes = new Function(`return ${PIPE_SOURCE}`)() as (size: number) => Promise<number>;

const WORKER = `${PIPE_SOURCE}
const data = new Uint8Array(1024 * 1024).map((_, i) => i & 0xff);
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    switch (url.pathname) {
      case '/pipe': return new Response(String(await pipeBytes(Number(url.searchParams.get('bytes')))));
      case '/digest': return new Response(String((await crypto.subtle.digest('SHA-256', data)).byteLength));
      case '/fetch': return new Response(await (await fetch(env.TARGET)).text());
      default: return new Response('ok');
    }
  },
};
`;

const dataDir = mkdtempSync(join(tmpdir(), 'islet-bench-streams-'));
const server = createServer((_req, res) => res.end('pong'));
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const target = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
const islet = new Islet({ dataDir, log: new MemoryLogSink(), spareIsolates: 0, egress: { allow: ['127.0.0.1/32'] } });
const worker = islet.createWorker({ name: 'streams', code: WORKER, vars: { TARGET: target }, limits: { cpuMs: 120_000 } });

let traceId = 0;
async function inWorker(path: string): Promise<string> {
  const response = await worker.fetch({ method: 'GET', url: `http://bench${path}`, headers: '', body: null, traceId: `s${traceId++}` });
  if (response.status !== 200) throw new Error(`${path} answered ${response.status}: ${String(response.body)}`);
  return String(response.body);
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

/** Alternates the two sides sample by sample, each warmed up first. */
async function sideBySide(count: number, islet: () => Promise<unknown>, node: () => Promise<unknown>) {
  const out = { isletMs: [] as number[], nodeMs: [] as number[] };
  for (let i = 0; i < Math.min(5, count); i++) { await islet(); await node(); }
  for (let i = 0; i < count; i++) {
    if (i % 2 === 0) {
      out.isletMs.push(await timed(islet));
      out.nodeMs.push(await timed(node));
    } else {
      out.nodeMs.push(await timed(node));
      out.isletMs.push(await timed(islet));
    }
  }
  return out;
}

const bytes = streamMb * 1024 * 1024;
const expectBytes = (got: unknown) => { if (Number(got) !== bytes) throw new Error(`piped ${String(got)} bytes, not ${bytes}`); };
const data = new Uint8Array(1024 * 1024).map((_, i) => i & 0xff);

worker.warm();
const pipe = await sideBySide(streamRounds,
  async () => expectBytes(await inWorker(`/pipe?bytes=${bytes}`)),
  async () => expectBytes(await pipeBytes(bytes)));
const digest = await sideBySide(samples,
  () => inWorker('/digest'),
  () => crypto.subtle.digest('SHA-256', data));
const empty = await sideBySide(samples, () => inWorker('/'), async () => {});
const subrequest = await sideBySide(samples,
  async () => { if (await inWorker('/fetch') !== 'pong') throw new Error('subrequest answered wrongly'); },
  async () => { if (await (await fetch(target)).text() !== 'pong') throw new Error('fetch answered wrongly'); });

worker.dispose();
islet.close();
server.closeAllConnections();
await new Promise((resolve) => server.close(resolve));
rmSync(dataDir, { recursive: true, force: true });

process.stdout.write(JSON.stringify({ streamMb, pipe, digest, emptyRequestMs: empty.isletMs, subrequest }) + '\n');
