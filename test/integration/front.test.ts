// The front door under malformed or hostile requests: what reaches a worker is always a valid URL.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from 'node:net';
import { startWorkers } from '../helpers/worker-server.js';

const ECHO = `export default { fetch(request) { return new Response(request.url); } }`;

function get(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Sends raw bytes and returns the status line of the reply. */
function raw(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(bytes));
    let reply = '';
    socket.on('data', (c) => { reply += c.toString(); if (reply.includes('\r\n')) { socket.destroy(); resolve(reply.split('\r\n')[0]!); } });
    socket.on('error', reject);
  });
}

test('a Host header cannot move the path or break the URL; dot segments are resolved', async () => {
  const server = await startWorkers([{ name: 'good', code: ECHO }, { name: 'bad', code: ECHO }]);
  try {
    const port = new URL(server.url).port;
    assert.deepEqual(await get(`${server.url}/good/x`, { host: `127.0.0.1:${port}/bad/admin?` }), {
      status: 400, body: 'Bad Request: the Host header or the request target is not valid.\n',
    });
    for (const host of ['evil.com:99999', 'exa mple.com', '[::1', 'a@b']) {
      assert.equal((await get(`${server.url}/good/x`, { host })).status, 400, host);
    }
    assert.deepEqual(await get(`${server.url}/good/a/../../good/b`, { host: 'example.com' }), { status: 200, body: 'http://example.com/good/b' });
    assert.equal(await raw(Number(port), 'GET http://elsewhere.example/good/p HTTP/1.1\r\nHost: x\r\n\r\n'), 'HTTP/1.1 200 OK');
    // RFC 9112 section 3.2: a request with more than one Host field gets a 400.
    assert.equal(await raw(Number(port), 'GET /good/p HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n'), 'HTTP/1.1 400 Bad Request');
  } finally {
    await server.close();
  }
});

test('an oversized chunked body gets a 413, and the server keeps serving', async () => {
  const server = await startWorkers([{ name: 'echo', code: `export default { async fetch(r) { return new Response(String((await r.arrayBuffer()).byteLength)); } }` }]);
  try {
    // Chunks keep coming until the server answers; it must answer 413, not just drop the connection.
    const status = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(new URL(server.url).port), '127.0.0.1');
      const chunk = `100000\r\n${'x'.repeat(0x100000)}\r\n`;
      let reply = '';
      let writing = true;
      const pump = () => { while (writing && socket.write(chunk)); };
      socket.on('connect', () => { socket.write('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n'); pump(); });
      socket.on('drain', pump);
      socket.on('data', (c) => { reply += c.toString(); if (reply.includes('\r\n')) { writing = false; socket.destroy(); resolve(reply.split('\r\n')[0]!); } });
      socket.on('error', (err) => (reply === '' ? reject(err) : undefined));
    });
    assert.equal(status, 'HTTP/1.1 413 Payload Too Large');
    const ok = await fetch(server.url, { method: 'POST', body: 'four' });
    assert.equal(await ok.text(), '4');
  } finally {
    await server.close();
  }
});

test('a transfer coding other than chunked gets 501 (RFC 9112 section 6.1), not a still-coded body', async () => {
  const server = await startWorkers([{ name: 'good', code: ECHO }]);
  try {
    const port = Number(new URL(server.url).port);
    const body = '3\r\nabc\r\n0\r\n\r\n';
    assert.equal(await raw(port, `POST /good/p HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n${body}`), 'HTTP/1.1 501 Not Implemented');
    assert.equal(await raw(port, `POST /good/p HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n${body}`), 'HTTP/1.1 200 OK');
  } finally {
    await server.close();
  }
});

test('32 KB of request headers are accepted; more get a 431', async () => {
  const server = await startWorkers([{ name: 'h', code: `export default { fetch(r) { return new Response(String(r.headers.get('x-big').length)); } }` }]);
  try {
    const port = Number(new URL(server.url).port);
    // Just under the limit once the request line and the other headers are counted.
    const fits = 'a'.repeat(31 * 1024);
    assert.deepEqual(await get(`${server.url}/`, { 'x-big': fits }), { status: 200, body: String(fits.length) });
    assert.equal(await raw(port, `GET / HTTP/1.1\r\nHost: a\r\nX-Big: ${'a'.repeat(33 * 1024)}\r\n\r\n`), 'HTTP/1.1 431 Request Header Fields Too Large');
  } finally {
    await server.close();
  }
});
