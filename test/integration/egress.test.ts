// The egress policy as a tenant meets it: subrequests from a real isolate through the real agent.
// Names resolve through an injected resolver and every server listens on loopback, so nothing here
// leaves the machine; the non-loopback literals are refused before any connection is attempted.
import assert from 'node:assert/strict';
import type { LookupAddress } from 'node:dns';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { startWorker, type WorkerServer } from '../helpers/worker-server.js';

interface Seen { path: string; headers: IncomingHttpHeaders }

/** Records what reaches it; `/redirect?to=URL` redirects, `/close` closes the connection after answering. */
function origin(seen: Seen[]) {
  return createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    seen.push({ path: url.pathname, headers: req.headers });
    if (url.pathname === '/redirect') { res.writeHead(302, { location: url.searchParams.get('to')! }); res.end(); return; }
    if (url.pathname === '/close') res.setHeader('connection', 'close');
    res.end(`origin saw ${url.pathname}`);
  });
}

async function listen(server: Server, host: string, port = 0): Promise<number> {
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(port, host, resolve); });
  return (server.address() as AddressInfo).port;
}

const close = (server: Server) => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); });

/** A worker that fetches what the test posts and reports the outcome. */
const RELAY = `export default { async fetch(request) {
  const { url, init } = await request.json();
  try {
    const response = await fetch(url, init);
    return Response.json({ status: response.status, body: await response.text(), location: response.headers.get('location') });
  } catch (e) {
    return Response.json({ error: e.constructor.name, message: e.message });
  }
} }`;

interface Outcome { status?: number; body?: string; location?: string | null; error?: string; message?: string }

async function relay(worker: WorkerServer, url: string, init: Record<string, unknown> = {}): Promise<Outcome> {
  const response = await worker.fetch('/', { method: 'POST', body: JSON.stringify({ url, init }) });
  assert.equal(response.status, 200);
  return await response.json() as Outcome;
}

function table(entries: Record<string, string[]>) {
  const resolve = async (hostname: string): Promise<LookupAddress[]> => {
    const found = entries[hostname];
    if (found === undefined) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return found.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return { resolve };
}

function assertBlocked(outcome: Outcome, what: string): void {
  assert.equal(outcome.error, 'TypeError', `${what}: ${JSON.stringify(outcome)}`);
  assert.match(outcome.message!, /is blocked by the egress policy/, what);
  assert.match(outcome.message!, /--allow-egress/, what);
}

describe('egress policy, default', () => {
  const seen: Seen[] = [];
  const trapSeen: Seen[] = [];
  const server = origin(seen);
  const trap = origin(trapSeen);
  let port = 0;
  let trapPort = 0;
  let worker: WorkerServer;
  const dns = table({ 'internal.test': ['127.0.0.1'], 'metadata.test': ['169.254.169.254'], localhost: ['127.0.0.1', '::1'] });

  before(async () => {
    port = await listen(server, '127.0.0.1');
    trapPort = await listen(trap, '127.0.0.1');
    worker = await startWorker(RELAY, {}, {
      outboundRoutes: new Map([['api.example', `http://127.0.0.1:${port}`]]),
      egress: { resolve: dns.resolve },
    });
  });
  after(async () => {
    await worker.close();
    await close(server);
    await close(trap);
  });

  test('loopback in every spelling is refused, and nothing reaches it', async () => {
    for (const host of ['127.0.0.1', '2130706433', '0177.0.0.1', '0x7f.1', '127.1', '0x7f000001', '[::1]', '[::ffff:127.0.0.1]', '[::ffff:7f00:1]', '0', 'localhost', 'internal.test']) {
      assertBlocked(await relay(worker, `http://${host}:${trapPort}/direct`), host);
    }
    assert.deepEqual(trapSeen, []);
  });

  test('private, link-local, metadata, CGNAT, multicast and broadcast addresses are refused before connecting', async () => {
    for (const url of ['http://169.254.169.254/latest/meta-data/', 'http://metadata.test/', 'http://10.0.0.1/', 'http://172.16.0.1/',
      'http://192.168.0.1/', 'http://100.64.0.1/', 'http://[fe80::1]/', 'http://[fd00::1]/', 'http://224.0.0.1/', 'http://255.255.255.255/',
      'https://10.0.0.1/', 'http://[::ffff:a9fe:a9fe]/']) {
      assertBlocked(await relay(worker, url), url);
    }
  });

  test('the message names what the tenant typed, not where it resolved', async () => {
    const outcome = await relay(worker, `http://internal.test:${trapPort}/`);
    assert.equal(outcome.message, 'Subrequest to internal.test is blocked by the egress policy: it does not resolve to a public address. '
      + "To allow it, add internal.test to the egress allow list (--allow-egress internal.test for islet dev, egress_allow in islet serve's config).");
    assert.match((await relay(worker, 'http://169.254.169.254/')).message!, /169\.254\.169\.254 is blocked .* link-local address/);
  });

  test('a routed host is reachable, loopback or not', async () => {
    assert.deepEqual(await relay(worker, 'http://api.example/hello'), { status: 200, body: 'origin saw /hello', location: null });
  });

  test('every redirect hop is checked', async () => {
    for (const to of [`http://127.0.0.1:${trapPort}/hop`, `http://internal.test:${trapPort}/hop`, `http://localhost:${trapPort}/hop`, 'http://169.254.169.254/hop']) {
      assertBlocked(await relay(worker, `http://api.example/redirect?to=${encodeURIComponent(to)}`), to);
    }
    assert.deepEqual(trapSeen, []);
    // A hop back to the routed origin is fine, and a manual redirect is only reported.
    assert.equal((await relay(worker, `http://api.example/redirect?to=${encodeURIComponent(`http://127.0.0.1:${port}/back`)}`)).body, 'origin saw /back');
    const manual = await relay(worker, `http://api.example/redirect?to=${encodeURIComponent(`http://127.0.0.1:${trapPort}/x`)}`, { redirect: 'manual' });
    assert.equal(manual.status, 302);
    assert.deepEqual(trapSeen, []);
  });

  test('subrequests carry the tenant headers, the loop counter, and no browser defaults', async () => {
    seen.length = 0;
    await relay(worker, 'http://api.example/plain');
    const plain = seen[0]!.headers;
    assert.equal(plain['user-agent'], undefined, 'Workers sends no user-agent of its own');
    assert.equal(plain['sec-fetch-mode'], undefined);
    assert.equal(plain['accept-language'], undefined);
    assert.equal(plain['x-islet-via'], '1');
    await relay(worker, 'http://api.example/tenant', {
      headers: { 'user-agent': 'tenant/1.0', 'accept-language': 'de', 'sec-fetch-mode': 'navigate', 'x-islet-via': '0' },
    });
    const tenant = seen[1]!.headers;
    assert.equal(tenant['user-agent'], 'tenant/1.0');
    assert.equal(tenant['accept-language'], 'de');
    assert.equal(tenant['sec-fetch-mode'], 'navigate');
    assert.equal(tenant['x-islet-via'], '1', 'the counter is the host\'s, not the tenant\'s');
  });
});

describe('egress policy, with an allow list', () => {
  const seen: Seen[] = [];
  const otherSeen: Seen[] = [];
  const server = origin(seen);
  // On 127.0.0.2, which the allow list below does not open.
  const other = origin(otherSeen);
  let port = 0;
  let worker: WorkerServer;
  let rebinds = 0;
  const dns = table({ 'mixed.test': ['127.0.0.2', '127.0.0.1'], 'named.test': ['127.0.0.2'], 'closed.test': ['127.0.0.2'] });
  const resolve = (hostname: string) => {
    // Rebinding: a first, harmless answer, then an internal one.
    if (hostname === 'rebind.test') return Promise.resolve([{ address: rebinds++ === 0 ? '127.0.0.1' : '127.0.0.2', family: 4 }]);
    return dns.resolve(hostname);
  };
  let skip: string | false = false;

  before(async () => {
    port = await listen(server, '127.0.0.1');
    try {
      await listen(other, '127.0.0.2', port);
    } catch (err) {
      skip = `cannot listen on 127.0.0.2: ${(err as Error).message}`;
    }
    worker = await startWorker(RELAY, {}, { egress: { allow: ['127.0.0.1/32', 'named.test'], resolve } });
  });
  after(async () => {
    await worker.close();
    await close(server);
    if (other.listening) await close(other);
  });

  test('an allowed CIDR is reachable; the rest of loopback is not', async (t) => {
    if (skip !== false) { t.skip(skip); return; }
    assert.equal((await relay(worker, `http://127.0.0.1:${port}/cidr`)).body, 'origin saw /cidr');
    assert.equal((await relay(worker, `http://[::ffff:127.0.0.1]:${port}/mapped`)).body, 'origin saw /mapped');
    assertBlocked(await relay(worker, `http://127.0.0.2:${port}/cidr`), '127.0.0.2');
    assertBlocked(await relay(worker, `http://closed.test:${port}/cidr`), 'closed.test');
    assert.deepEqual(otherSeen, []);
  });

  test('of the addresses a name resolves to, only allowed ones are connected to', async (t) => {
    if (skip !== false) { t.skip(skip); return; }
    assert.equal((await relay(worker, `http://mixed.test:${port}/mixed`)).body, 'origin saw /mixed');
    assert.deepEqual(otherSeen, []);
  });

  test('a name that rebinds to an internal address is refused at connect time', async (t) => {
    if (skip !== false) { t.skip(skip); return; }
    assert.equal((await relay(worker, `http://rebind.test:${port}/close`)).body, 'origin saw /close');
    assertBlocked(await relay(worker, `http://rebind.test:${port}/close`), 'rebind.test, second resolution');
    assert.deepEqual(otherSeen, []);
  });

  test('a hostname on the allow list is reachable wherever it resolves', async (t) => {
    if (skip !== false) { t.skip(skip); return; }
    assert.equal((await relay(worker, `http://named.test:${port}/named`)).body, 'origin saw /named');
    assert.deepEqual(otherSeen.map((s) => s.path), ['/named']);
  });
});
