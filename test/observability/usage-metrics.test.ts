// GET /metrics after known traffic: subrequests, body bytes, KV and Durable Object operations with
// their latency histograms, and waitUntil work pending, each exactly what the traffic made, with the
// isolates in an engine process and in the server's own process alike. Also: counts reported before an
// engine is killed survive it, and a worker's own 503 with the runtime's CPU-limit text is not counted
// as a CPU limit.
import assert from 'node:assert/strict';
import { createServer, request as httpRequest, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { OPERATION_BUCKETS, OPERATIONS } from '../../src/host/observability/usage/usage-ops.js';
import { helpOf, parseExposition, sampleValue, type Sample } from '../helpers/exposition.js';
import { startTestServe, TOKEN, type TestServe } from '../helpers/serve.js';

const KV_WORKER = `export default { async fetch(request, env) {
  await env.KV.put('a', '1'); await env.KV.put('b', '2'); await env.KV.put('c', '3');
  const a = await env.KV.get('a'); const b = await env.KV.get('b');
  await env.KV.delete('c');
  const listed = await env.KV.list();
  return new Response(a + b + listed.keys.length);
} }`;
/** Per request: 3 puts, 2 gets, 1 delete, 1 list. */
const KV_PER_REQUEST = { put: 3, get: 2, delete: 1, list: 1 };

const FETCHER = `export default { async fetch(request, env) {
  for (let i = 0; i < 3; i++) await (await fetch(env.ORIGIN + 'ok')).text();
  await caches.default.match(env.ORIGIN + 'cached');
  await (await env.SVC.fetch('https://callee/')).text();
  return new Response('done');
} }`;
/** Per request: 3 fetches, 1 Cache API call, 1 service binding call. */
const FETCHER_SUBREQUESTS = 5;
const CALLEE = `export default { fetch() { return new Response('callee') } }`;

const ECHO = `export default { async fetch(request) {
  await request.arrayBuffer();
  if (new URL(request.url).pathname.endsWith('/stream')) {
    let sent = 0;
    return new Response(new ReadableStream({ pull(c) { if (sent++ < 4) c.enqueue(new Uint8Array(1024)); else c.close(); } }));
  }
  return new Response('y'.repeat(2500));
} }`;

const LINGERING = `export default { fetch(request, env, ctx) {
  ctx.waitUntil(fetch(env.ORIGIN + 'hold').then((r) => r.text()));
  return new Response('later');
} }`;

const OBJECTS = `import { DurableObject } from 'cloudflare:workers';
export class Box extends DurableObject {
  async fetch() {
    const storage = this.ctx.storage;
    await storage.put('a', 1);
    await storage.put({ b: 2, c: 3 });
    const a = await storage.get('a');
    const listed = await storage.list();
    await storage.delete('c');
    storage.sql.exec('CREATE TABLE IF NOT EXISTS t (x)');
    storage.sql.exec('INSERT INTO t VALUES (1)');
    await storage.transaction(async (txn) => { await txn.put('d', 4); });
    return new Response(String(listed.size + a));
  }
  add(x) { return x + 1; }
}
export default { async fetch(request, env) {
  const stub = env.BOX.getByName('one');
  const text = await (await stub.fetch('https://box/')).text();
  return new Response(text + ':' + await stub.add(1));
} }`;
/** Per request, as the worker above makes them (the transaction's put is a put). */
const OBJECT_OPS = { fetch: 1, rpc: 1, storage_put: 3, storage_get: 1, storage_list: 1, storage_delete: 1, storage_sql: 2, storage_transaction: 1 };

const LIAR = `export default { fetch() { return new Response('Worker exceeded its CPU time limit.\\n', { status: 503 }); } }`;
const SPIN = `export default { fetch() { for (;;) {} } }`;

async function scrape(serve: TestServe): Promise<{ text: string; samples: Sample[] }> {
  const answer = await fetch(`${serve.adminUrl}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(answer.status, 200);
  const text = await answer.text();
  return { text, samples: parseExposition(text) };
}

/** A POST of `chunks` to the tenant front door, written one by one as a chunked body; resolves with the status. */
function post(serve: TestServe, path: string, chunks: Buffer[]): Promise<{ status: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const url = new URL(serve.url + path);
    const req = httpRequest({ host: url.hostname, port: url.port, path, method: 'POST' }, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => { bytes += c.length; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (chunks.length === 1) req.setHeader('content-length', chunks[0]!.length);
    void (async () => {
      for (const chunk of chunks) {
        req.write(chunk);
        await new Promise((r) => setTimeout(r, 20));
      }
      req.end();
    })();
  });
}

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, ms = 8_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
}

for (const engines of [2, 0]) {
  describe(`usage metrics with engines = ${engines}`, () => {
    let origin: Server;
    let serve: TestServe;
    const held: ServerResponse[] = [];
    let originRequests = 0;
    let samples: Sample[];
    let text: string;
    const sent = { kv: 2, fetcher: 2, objects: 2 };
    const echoed = { in: 0, out: 0 };

    before(async () => {
      origin = createServer((req, res) => {
        originRequests++;
        if (req.url === '/hold') held.push(res);
        else res.end('ok');
      });
      await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
      const originUrl = `http://127.0.0.1:${(origin.address() as AddressInfo).port}/`;
      serve = await startTestServe({ engines, egressAllow: ['127.0.0.1/32'] });
      const deploys: [string, string, Record<string, unknown>][] = [
        ['kv', KV_WORKER, { kvNamespaces: [{ binding: 'KV', id: 'usage' }] }],
        ['callee', CALLEE, {}],
        ['fetcher', FETCHER, { vars: { ORIGIN: originUrl }, services: [{ binding: 'SVC', service: 'callee' }] }],
        ['echo', ECHO, {}],
        ['lingering', LINGERING, { vars: { ORIGIN: originUrl } }],
        ['objects', OBJECTS, { durableObjects: [{ binding: 'BOX', className: 'Box' }] }],
        ['liar', LIAR, {}],
        ['spin', SPIN, { limits: { cpuMs: 20 } }],
      ];
      // One tenant: a service binding reaches only workers of its own.
      for (const [name, code, config] of deploys) assert.equal((await serve.deploy(name, code, { tenant: 'acme', config })).status, 201, name);

      for (let i = 0; i < sent.kv; i++) assert.equal((await serve.get('/kv/')).body, '122');
      for (let i = 0; i < sent.fetcher; i++) assert.equal((await serve.get('/fetcher/')).body, 'done');
      for (let i = 0; i < sent.objects; i++) assert.match((await serve.get('/objects/')).body, /^\d+:2$/);
      const whole = await post(serve, '/echo/', [Buffer.alloc(1000, 1)]);
      const streamed = await post(serve, '/echo/stream', [Buffer.alloc(5000, 2), Buffer.alloc(5000, 3), Buffer.alloc(5000, 4)]);
      assert.deepEqual([whole, streamed], [{ status: 200, bytes: 2500 }, { status: 200, bytes: 4096 }]);
      echoed.in = 1000 + 15_000;
      echoed.out = whole.bytes + streamed.bytes;
      assert.equal((await serve.get('/liar/')).status, 503);
      assert.equal((await serve.get('/spin/')).status, 503);
      ({ text, samples } = await scrape(serve));
    });
    after(async () => {
      for (const res of held) res.end();
      await serve?.close();
      origin?.close();
    });

    test('subrequests: fetch(), Cache API and service binding calls, per worker', () => {
      assert.equal(originRequests, sent.fetcher * 3, 'the origin saw each fetch');
      assert.equal(sampleValue(samples, 'islet_subrequests_total', { worker: 'fetcher' }), sent.fetcher * FETCHER_SUBREQUESTS);
      assert.equal(sampleValue(samples, 'islet_subrequests_total', { worker: 'kv' }), undefined, 'KV calls are not subrequests');
      assert.match(helpOf(text, 'islet_subrequests_total') ?? '', /fetch\(\) calls, service binding calls and Cache API calls/);
    });

    test('KV operations by worker and operation, and their latency by operation only', () => {
      for (const [op, perRequest] of Object.entries(KV_PER_REQUEST)) {
        assert.equal(sampleValue(samples, 'islet_kv_operations_total', { worker: 'kv', op }), sent.kv * perRequest, op);
        assert.equal(sampleValue(samples, 'islet_kv_operation_duration_seconds_count', { op }), sent.kv * perRequest, op);
        const buckets = samples.filter((s) => s.name === 'islet_kv_operation_duration_seconds_bucket' && s.labels.op === op);
        assert.deepEqual(buckets.map((b) => (b.labels.le === '+Inf' ? Infinity : Number(b.labels.le))), [...OPERATION_BUCKETS, Infinity]);
        for (let i = 1; i < buckets.length; i++) assert.ok(buckets[i]!.value >= buckets[i - 1]!.value, 'cumulative');
        assert.equal(buckets.at(-1)!.value, sent.kv * perRequest);
        assert.ok(sampleValue(samples, 'islet_kv_operation_duration_seconds_sum', { op })! > 0);
      }
      assert.ok(samples.filter((s) => s.name.startsWith('islet_kv_operation_duration_seconds')).every((s) => s.labels.worker === undefined),
        'latency is not labelled by worker');
    });

    test('Durable Object stub calls and storage operations', () => {
      const counted = samples.filter((s) => s.name === 'islet_durable_object_operations_total');
      assert.deepEqual(Object.fromEntries(counted.map((s) => [s.labels.op, s.value])),
        Object.fromEntries(Object.entries(OBJECT_OPS).map(([op, n]) => [op, n * sent.objects])));
      assert.ok(counted.every((s) => s.labels.worker === 'objects'));
      for (const [op, n] of Object.entries(OBJECT_OPS)) {
        assert.equal(sampleValue(samples, 'islet_durable_object_operation_duration_seconds_count', { op }), n * sent.objects, op);
      }
    });

    test('request and response body bytes per worker, whole and streamed', () => {
      assert.equal(sampleValue(samples, 'islet_request_body_bytes_total', { worker: 'echo' }), echoed.in);
      assert.equal(sampleValue(samples, 'islet_response_body_bytes_total', { worker: 'echo' }), echoed.out);
      // 'callee' is answered 'callee' (6 bytes) once per fetcher request, through the service binding.
      assert.equal(sampleValue(samples, 'islet_response_body_bytes_total', { worker: 'callee' }), 6 * sent.fetcher);
      assert.equal(sampleValue(samples, 'islet_response_body_bytes_total', { worker: 'kv' }), 3 * sent.kv);
    });

    test('a worker\'s own 503 with the runtime\'s CPU-limit text is not counted as a CPU limit', () => {
      assert.equal(sampleValue(samples, 'islet_requests_total', { worker: 'liar', status_class: '5xx' }), 1);
      assert.equal(sampleValue(samples, 'islet_errors_total', { worker: 'liar' }), undefined);
      assert.equal(sampleValue(samples, 'islet_errors_total', { worker: 'spin', kind: 'cpu_limit' }), 1);
    });

    test('waitUntil work pending: 1 while the promise is held open, 0 once it settles', async () => {
      const pending = async () => sampleValue((await scrape(serve)).samples, 'islet_wait_until_pending', { worker: 'lingering' });
      assert.equal(await pending(), undefined, 'no series before the worker ran');
      assert.equal((await serve.get('/lingering/')).body, 'later');
      await until(async () => held.length, (n) => n === 1);
      assert.equal(await pending(), 1);
      assert.equal(await pending(), 1, 'still held');
      held.shift()!.end('released');
      assert.equal(await until(pending, (n) => n === 0), 0);
      assert.equal(sampleValue((await scrape(serve)).samples, 'islet_subrequests_total', { worker: 'lingering' }), 1);
    });

    test('labels are bounded: worker and op only', () => {
      const usage = /^islet_(subrequests|request_body_bytes|response_body_bytes|kv_operation|durable_object_operation|wait_until)/;
      const workers = new Set(['kv', 'callee', 'fetcher', 'echo', 'lingering', 'objects', 'liar', 'spin']);
      for (const sample of samples.filter((s) => usage.test(s.name))) {
        for (const [key, labelValue] of Object.entries(sample.labels)) {
          assert.ok(['worker', 'op', 'le'].includes(key), `label ${key} on ${sample.name}`);
          if (key === 'worker') assert.ok(workers.has(labelValue), labelValue);
          if (key === 'op') assert.ok(OPERATIONS.some((o) => o.op === labelValue), labelValue);
        }
      }
    });
  });
}

describe('usage counts across an engine\'s death', () => {
  test('what an engine reported with its pings survives its kill -9, and counting goes on in its replacement', { timeout: 30_000 }, async () => {
    const serve = await startTestServe({ engines: 1 });
    try {
      assert.equal((await serve.deploy('kv', KV_WORKER, { config: { kvNamespaces: [{ binding: 'KV', id: 'usage' }] } })).status, 201);
      assert.equal((await serve.get('/kv/')).body, '122');
      // No scrape before the kill: only the watchdog's pings (one a second) can have carried the counts.
      await new Promise((r) => setTimeout(r, 2_500));
      const [before] = await serve.running.platform.engines();
      process.kill(before!.pid, 'SIGKILL');
      const replaced = await until(() => serve.running.platform.engines(), ([e]) => e!.up && e!.pid !== before!.pid, 10_000);
      assert.notEqual(replaced[0]!.pid, before!.pid);
      assert.equal((await serve.get('/kv/')).body, '122');
      const { samples } = await scrape(serve);
      for (const [op, perRequest] of Object.entries(KV_PER_REQUEST)) {
        assert.equal(sampleValue(samples, 'islet_kv_operations_total', { worker: 'kv', op }), 2 * perRequest, op);
        assert.equal(sampleValue(samples, 'islet_kv_operation_duration_seconds_count', { op }), 2 * perRequest, op);
      }
      assert.equal(sampleValue(samples, 'islet_response_body_bytes_total', { worker: 'kv' }), 6);
    } finally {
      await serve.close();
    }
  });
});
