// A worker's subrequests carry its request's trace on (W3C traceparent, or the X-Trace-ID it came
// with), checked at a real origin on loopback and along a chain of two Islet workers.
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { parseTraceparent } from '../../src/host/observability/tracing/trace-context.js';
import { startTestServe, type TestServe } from '../helpers/serve.js';

// Fetches the origin `n` times (with the worker's own headers from ?h=name:value), and reports what
// the origin saw.
const CALLER = `export default { async fetch(request, env) {
  const url = new URL(request.url);
  const headers = {};
  for (const pair of url.searchParams.getAll('h')) { const i = pair.indexOf(':'); headers[pair.slice(0, i)] = pair.slice(i + 1); }
  const seen = [];
  for (let i = 0; i < Number(url.searchParams.get('n') ?? 1); i++) {
    seen.push(await (await fetch(url.searchParams.get('to') ?? env.ORIGIN, { headers })).json());
  }
  return Response.json(seen);
} }`;
// The next worker in a chain: answers with the trace headers it was called with, and logs.
const CALLEE = `export default { fetch(request) {
  console.log('callee ran');
  return Response.json({ traceparent: request.headers.get('traceparent'), xTraceId: request.headers.get('x-trace-id') });
} }`;

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';

let origin: Server;
let serve: TestServe;

before(async () => {
  origin = createServer((req, res) => {
    const pick = (headers: IncomingHttpHeaders) => ({ traceparent: headers.traceparent ?? null, xTraceId: headers['x-trace-id'] ?? null });
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(pick(req.headers)));
  });
  await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
  const originUrl = `http://127.0.0.1:${(origin.address() as AddressInfo).port}/`;
  serve = await startTestServe({ engines: 1, egressAllow: ['127.0.0.1/32'] });
  assert.equal((await serve.deploy('caller', CALLER, { config: { vars: { ORIGIN: originUrl } } })).status, 201);
  assert.equal((await serve.deploy('callee', CALLEE)).status, 201);
});
after(async () => {
  await serve?.close();
  origin?.close();
});

type Seen = { traceparent: string | null; xTraceId: string | null };

async function call(query: string, headers: Record<string, string>): Promise<{ seen: Seen[]; traceId: string }> {
  const answer = await serve.get(`/caller/?${query}`, undefined, headers);
  assert.equal(answer.status, 200, answer.body);
  return { seen: JSON.parse(answer.body) as Seen[], traceId: answer.headers['x-trace-id'] as string };
}

test('each subrequest carries the trace in a traceparent: version 00, the request\'s own span as parent, sampled', async () => {
  const { seen } = await call('n=2', { traceparent: `00-${TRACE}-${PARENT}-01` });
  assert.equal(seen.length, 2);
  const spans = seen.map((s) => {
    assert.match(s.traceparent ?? '', /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    const parsed = parseTraceparent(s.traceparent!);
    assert.ok(parsed !== null);
    assert.equal(parsed.traceId, TRACE);
    assert.notEqual(parsed.parentId, PARENT, 'the span of the worker\'s request, not its caller\'s');
    assert.equal(s.xTraceId, null);
    return parsed.parentId;
  });
  // Both are calls of the same request, whose span is their parent (linked-spans.test.ts checks it is the exported one).
  assert.equal(spans[0], spans[1]);
  const { seen: again } = await call('n=1', { traceparent: `00-${TRACE}-${PARENT}-01` });
  assert.notEqual(parseTraceparent(again[0]!.traceparent!)?.parentId, spans[0], 'another request, another span');
});

test('a request with no trace gets one, and its subrequests carry it', async () => {
  const { seen, traceId } = await call('n=1', {});
  assert.match(traceId, /^[0-9a-f]{32}$/);
  assert.equal(parseTraceparent(seen[0]!.traceparent!)?.traceId, traceId);
});

test('generated trace ids are random, as W3C Trace Context asks: no shared prefix, no counter', async () => {
  const ids: string[] = [];
  for (let i = 0; i < 8; i++) ids.push((await call('n=0', {})).traceId);
  for (const id of ids) assert.match(id, /^[0-9a-f]{32}$/);
  // Random halves: with 64 random bits each, any two equal would be a one in 2^64 chance.
  assert.equal(new Set(ids.map((id) => id.slice(0, 16))).size, ids.length, `left halves: ${ids.join(' ')}`);
  assert.equal(new Set(ids.map((id) => id.slice(16))).size, ids.length);
});

test('a worker\'s own traceparent is sent as it set it', async () => {
  const own = '00-11111111111111111111111111111111-2222222222222222-00';
  const { seen } = await call(`h=traceparent:${own}`, { traceparent: `00-${TRACE}-${PARENT}-01` });
  assert.deepEqual(seen, [{ traceparent: own, xTraceId: null }]);
});

test('a trace id given as X-Trace-ID (not a W3C one) goes on as X-Trace-ID', async () => {
  const { seen } = await call('n=1', { 'x-trace-id': 'order-1234' });
  assert.deepEqual(seen, [{ traceparent: null, xTraceId: 'order-1234' }]);
});

test('a chain of Islet workers shares one trace id, and the callee\'s log lines carry it', async () => {
  const to = encodeURIComponent(`${serve.url}/callee/`);
  const { seen, traceId } = await call(`to=${to}`, { traceparent: `00-${TRACE}-${PARENT}-01` });
  assert.equal(traceId, TRACE);
  assert.equal(parseTraceparent(seen[0]!.traceparent!)?.traceId, TRACE);
  const line = serve.logs.lines.find((l) => l.worker === 'callee' && l.message === 'callee ran');
  assert.equal(line?.traceId, TRACE);
});
