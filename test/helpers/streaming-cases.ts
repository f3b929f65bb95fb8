// The body-streaming behaviour Islet must show whether isolates run in its own process or in engine
// processes behind `islet serve`: the same cases, registered against either host.
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { connect } from 'node:net';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { MAX_REQUEST_BODY } from '../../src/host/server/http-front.js';
import { CHUNK, streamGet, streamPost } from './streaming-worker.js';

export interface StreamingHost {
  /** The worker's base URL (no trailing slash). */
  url: string;
  /** Log lines the host recorded about the worker. */
  logText(): string;
}

const MB = 1024 * 1024;

async function until(condition: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  assert.fail(`timed out waiting for ${what}`);
}

/** The status line a raw chunked upload gets when it keeps sending past the limit. */
function oversizedUpload(url: string): Promise<string> {
  const { hostname, port, pathname } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const chunk = `100000\r\n${'x'.repeat(0x100000)}\r\n`;
    let reply = '';
    let writing = true;
    const pump = () => { while (writing && socket.write(chunk)); };
    socket.on('connect', () => { socket.write(`POST ${pathname} HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n`); pump(); });
    socket.on('drain', pump);
    socket.on('data', (c) => { reply += c.toString(); if (reply.includes('\r\n')) { writing = false; socket.destroy(); resolve(reply.split('\r\n')[0]!); } });
    socket.on('error', (err) => (reply === '' ? reject(err) : undefined));
  });
}

/**
 * A raw upload declaring more than the limit: after its 413 arrives the client sends 8 MB more and
 * then ends. Resolves with the status line and the first socket error, if any.
 */
function uploadPastThe413(url: string): Promise<{ status: string; error: string | null }> {
  const { hostname, port, pathname } = new URL(url);
  return new Promise((resolve) => {
    // Half-open, as HTTP clients are: the server's FIN after its 413 does not end the client's sending.
    const socket = connect({ port: Number(port), host: hostname, allowHalfOpen: true });
    let reply = '';
    let error: string | null = null;
    let sending = false;
    const sendMore = async () => {
      const mb = Buffer.alloc(1024 * 1024, 120);
      for (let i = 0; i < 8 && error === null; i++) await new Promise<void>((done) => socket.write(mb, () => done()));
      socket.end();
    };
    socket.on('connect', () => socket.write(`POST ${pathname} HTTP/1.1\r\nHost: a\r\nContent-Length: ${MAX_REQUEST_BODY + 1}\r\n\r\n`));
    socket.on('data', (c) => {
      reply += c.toString();
      if (!sending && reply.includes('\r\n')) { sending = true; void sendMore(); }
    });
    socket.on('error', (err: NodeJS.ErrnoException) => { error ??= err.code ?? err.message; });
    socket.on('close', () => resolve({ status: reply.split('\r\n')[0]!, error }));
  });
}

export function streamingCases(host: () => StreamingHost): void {
  test('a streamed response arrives whole, chunked, and one with a FixedLengthStream carries its content-length', async () => {
    const { url } = host();
    const big = await streamGet(`${url}/big?chunks=64`);
    assert.equal(big.status, 200);
    assert.equal(big.headers['transfer-encoding'], 'chunked');
    assert.equal(await big.done, 64 * CHUNK);
    const fixed = await streamGet(`${url}/fixed?bytes=100000`);
    assert.equal(fixed.headers['content-length'], '100000');
    assert.equal(fixed.headers['transfer-encoding'], undefined);
    assert.equal(await fixed.done, 100000);
  });

  test('the first chunk reaches the client before the worker has produced the last', async () => {
    const { url } = host();
    const held = await streamGet(`${url}/held`);
    // The worker is still waiting for /release: only the first chunk can have been sent.
    assert.equal((await held.first).toString(), 'first;');
    assert.equal((await (await fetch(`${url}/release`)).text()), 'released');
    assert.equal(await held.done, 'first;last'.length);
  });

  test('a body stream that errors part-way cuts the connection, and the error is logged', async () => {
    const { url, logText } = host();
    const broken = await streamGet(`${url}/broken`);
    assert.equal(broken.status, 200);
    await assert.rejects(broken.done, /connection cut after 65536 bytes|aborted/);
    await until(async () => logText().includes('the source broke'), 'the stream error in the log');
  });

  test('a body stream that errors before its first byte gets a clean 500, not a cut connection', async () => {
    const { url, logText } = host();
    const response = await fetch(`${url}/broken-at-once`);
    assert.equal(response.status, 500);
    assert.match(await response.text(), /failed before its first byte/);
    await until(async () => logText().includes('broke before a byte'), 'the stream error in the log');
  });

  test("a client that disconnects mid-response cancels the worker's stream", async () => {
    const { url } = host();
    const endless = await streamGet(`${url}/endless`);
    await endless.first;
    endless.response.destroy();
    await until(async () => {
      const { canceled } = await (await fetch(`${url}/canceled`)).json() as { canceled: string | null };
      return canceled !== null;
    }, 'the worker to observe cancel');
  });

  test('a 100 MB upload streams into the worker chunk by chunk; 100 MB + 1 gets 413', async () => {
    const { url } = host();
    const { status, body } = await streamPost(`${url}/count`, MAX_REQUEST_BODY);
    assert.equal(status, 200);
    const counted = JSON.parse(body) as { bytes: number; chunks: number };
    assert.equal(counted.bytes, MAX_REQUEST_BODY);
    // Read as it arrived, not as one buffer.
    assert.ok(counted.chunks > 100, `${counted.chunks} chunks`);
    assert.equal(await oversizedUpload(`${url}/count`), 'HTTP/1.1 413 Payload Too Large');
    const over = await fetch(`${url}/count`, { method: 'POST', body: new Uint8Array(MAX_REQUEST_BODY + 1) });
    assert.equal(over.status, 413);
    await over.arrayBuffer();
  });

  test('after a 413 the server reads and drops what the client still sends, then closes without a reset', async () => {
    const { url } = host();
    // Closing with the upload unread would reset the connection, and a reset can destroy the 413 unread.
    assert.deepEqual(await uploadPastThe413(`${url}/count`), { status: 'HTTP/1.1 413 Payload Too Large', error: null });
  });

  test('a request body streamed straight back is echoed whole', async () => {
    const { url } = host();
    const sent = Buffer.alloc(3 * MB, 7);
    const echoed = Buffer.from(await (await fetch(`${url}/echo`, { method: 'POST', body: sent })).arrayBuffer());
    assert.equal(echoed.length, sent.length);
    assert.ok(echoed.equals(sent));
  });
}

/**
 * 1 GB made chunk by chunk passes through while the host's resident memory (its engines' included)
 * stays within `allowedMb` of what it was before; measured in a process of its own.
 */
export function bigStreamCase(mode: 'islet' | 'serve', allowedMb: number): void {
  test(`1 GB streams to the client with bounded memory (${mode})`, { timeout: 240_000 }, async () => {
    const child = fork(fileURLToPath(new URL('./rss-probe.ts', import.meta.url)), mode === 'serve' ? ['serve'] : [], {
      execArgv: ['--no-node-snapshot', '--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const messages: unknown[] = [];
    let wake: (() => void) | null = null;
    child.on('message', (m) => { messages.push(m); wake?.(); });
    const next = async (): Promise<Record<string, number | string>> => {
      while (messages.length === 0) await new Promise<void>((resolve) => { wake = resolve; });
      return messages.shift() as Record<string, number | string>;
    };
    try {
      const { url } = await next();
      const started = performance.now();
      const big = await streamGet(`${url}/big?chunks=16384`);
      await big.first;
      const firstMs = performance.now() - started;
      assert.equal(await big.done, 1024 * MB);
      const totalMs = performance.now() - started;
      child.send('report');
      const { baseline, peak } = await next() as { baseline: number; peak: number };
      const grownMb = (peak - baseline) / MB;
      process.stdout.write(`# ${mode}: 1 GB in ${Math.round(totalMs)} ms, first byte after ${firstMs.toFixed(1)} ms, peak RSS ${Math.round(peak / MB)} MB (+${grownMb.toFixed(1)} MB over ${Math.round(baseline / MB)} MB)\n`);
      assert.ok(grownMb < allowedMb, `RSS grew by ${grownMb.toFixed(1)} MB`);
    } finally {
      child.kill();
    }
  });
}
