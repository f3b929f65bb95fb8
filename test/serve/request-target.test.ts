// A request target in absolute form (`GET http://host/path`, what a client sends a proxy): RFC 9112
// section 3.2.2 has the server ignore the Host header received and use the target's authority, and a
// server that passes the request on generate its Host from the target. The worker sees one host.
// @see https://www.rfc-editor.org/rfc/rfc9112#section-3.2.2
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import { startTestServe, type TestServe } from '../helpers/serve.js';

const ECHO = `export default { fetch(request) {
  return new Response(request.headers.get('host') + ' ' + request.url);
} }`;

let serve: TestServe;
before(async () => {
  serve = await startTestServe();
  for (const [name, route] of [['target', 'urlw.test/*'], ['decoy', 'app.example.test/*']] as const) {
    const deployed = await serve.deploy(name, ECHO.replace('request.url', `'${name} ' + request.url`), { config: { routes: [route] } });
    assert.equal(deployed.status, 201, JSON.stringify(deployed.json));
  }
});
after(async () => { await serve.close(); });

/** Sends `head` as written on a new connection and resolves with the whole answer. */
function raw(head: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(serve.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(head));
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => { text += chunk; });
    socket.on('error', reject);
    socket.on('end', () => {
      const status = Number(/^HTTP\/1\.\d (\d{3})/.exec(text)?.[1] ?? 0);
      resolve({ status, body: text.slice(text.indexOf('\r\n\r\n') + 4) });
    });
  });
}

test('the worker sees the target\'s authority as Host, not the Host header received', async () => {
  const answer = await raw('GET http://urlw.test/x HTTP/1.1\r\nHost: app.example.test\r\nConnection: close\r\n\r\n');
  assert.equal(answer.status, 200);
  assert.match(answer.body, /^urlw\.test target http:\/\/urlw\.test\/x$/m);
});

test('a port in the target is part of the Host the worker sees', async () => {
  const answer = await raw('GET http://URLW.test:8080/y HTTP/1.1\r\nHost: app.example.test\r\nConnection: close\r\n\r\n');
  assert.equal(answer.status, 200);
  assert.match(answer.body, /^urlw\.test:8080 target http:\/\/urlw\.test:8080\/y$/m);
});

test('an HTTP/1.0 request in absolute form without any Host gets one from the target', async () => {
  const answer = await raw('GET http://urlw.test/z HTTP/1.0\r\n\r\n');
  assert.equal(answer.status, 200);
  assert.match(answer.body, /^urlw\.test target http:\/\/urlw\.test\/z$/m);
});

test('in origin form the Host header is the host, as before', async () => {
  const answer = await raw('GET /o HTTP/1.1\r\nHost: app.example.test\r\nConnection: close\r\n\r\n');
  assert.equal(answer.status, 200);
  assert.match(answer.body, /^app\.example\.test decoy http:\/\/app\.example\.test\/o$/m);
});
