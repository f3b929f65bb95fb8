// The spans a chain of workers exports link up: a callee's span names its caller's span as parent
// (W3C Trace Context: the traceparent's parent-id is the id of the caller's span), so a collector can
// build the tree. Worker A calls worker B over HTTP through Islet's own front door, and through a
// service binding (fetch and RPC); a real HTTP server on loopback stands in for the collector.
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { eventually } from '../helpers/cli.js';
import { startTestServe, type TestServe } from '../helpers/serve.js';

interface Attribute { key: string; value: Record<string, unknown> }
interface Span { traceId: string; spanId: string; parentSpanId?: string; attributes: Attribute[] }
interface Export { resourceSpans: { scopeSpans: { spans: Span[] }[] }[] }

const CALLER = `export default { async fetch(request, env) {
  const how = new URL(request.url).searchParams.get('via');
  if (how === 'rpc') return new Response(await env.B.ping());
  const answer = how === 'binding' ? await env.B.fetch('http://b/') : await fetch(env.B_URL);
  return new Response(await answer.text());
} }`;
// Reports the traceparent it was called with, so the test can compare it with the exported spans.
const CALLEE = `import { WorkerEntrypoint } from 'cloudflare:workers';
export default class extends WorkerEntrypoint {
  fetch(request) { return new Response(request.headers.get('traceparent') ?? 'none'); }
  ping() { return 'pong'; }
}`;

// Each test its own trace, so that one test's spans are never taken for another's.
const TRACE = '0af7651916cd43dd8448eb211c80319c';
const BINDING_TRACE = '5b8efff798038103d269b633813fc60c';
const RPC_TRACE = '9c5d1a4e5e2f4b7a8d3c2b1a0f9e8d7c';
const CLIENT_SPAN = 'b7ad6b7169203331';

let collector: Server;
const received: { spans: Span[]; headers: IncomingHttpHeaders }[] = [];
let serve: TestServe;

before(async () => {
  collector = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString()) as Export;
      received.push({ spans: body.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)), headers: req.headers });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  const collectorUrl = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
  serve = await startTestServe({
    engines: 1, egressAllow: ['127.0.0.1/32'],
    observability: { logFormat: 'json', otlpTracesUrl: `${collectorUrl}/v1/traces`, otlpHeaders: { 'x-api-key': 'collector-secret' } },
  });
  assert.equal((await serve.deploy('b', CALLEE, { tenant: 'shop' })).status, 201);
  const deployed = await serve.deploy('a', CALLER, { tenant: 'shop', config: { vars: { B_URL: `${serve.url}/b/` }, services: [{ binding: 'B', service: 'b' }] } });
  assert.equal(deployed.status, 201, JSON.stringify(deployed.json));
});
after(async () => {
  await serve?.close();
  collector?.close();
});

const workerOf = (span: Span) => span.attributes.find((a) => a.key === 'islet.worker')?.value.stringValue;
const spansOf = (traceId: string) => received.flatMap((r) => r.spans).filter((s) => s.traceId === traceId);

/** Calls A and waits for the collector to have both spans of the trace. */
async function chain(query: string, headers: Record<string, string>): Promise<{ a: Span; b: Span; traceId: string; seenByB: string }> {
  const answer = await serve.get(`/a/${query}`, undefined, headers);
  assert.equal(answer.status, 200, answer.body);
  const traceId = answer.headers['x-trace-id'] as string;
  await eventually(async () => spansOf(traceId).length >= 2);
  const spans = spansOf(traceId);
  assert.equal(spans.length, 2, 'one span per worker invocation');
  return { a: spans.find((s) => workerOf(s) === 'a')!, b: spans.find((s) => workerOf(s) === 'b')!, traceId, seenByB: answer.body };
}

test('A fetching B through the front door: B\'s span is a child of A\'s, in the same trace', async () => {
  const { a, b, traceId, seenByB } = await chain('', { traceparent: `00-${TRACE}-${CLIENT_SPAN}-01` });
  assert.equal(traceId, TRACE);
  assert.equal(a.traceId, TRACE);
  assert.equal(b.traceId, TRACE);
  assert.equal(a.parentSpanId, CLIENT_SPAN, 'A is the child of the client\'s span');
  assert.match(a.spanId, /^[0-9a-f]{16}$/);
  assert.notEqual(a.spanId, '0000000000000000');
  assert.equal(b.parentSpanId, a.spanId);
  assert.notEqual(b.spanId, a.spanId);
  // The traceparent B received names the span A was exported under.
  assert.equal(seenByB, `00-${TRACE}-${a.spanId}-01`);
});

test('a request that came without a trace: A\'s span is a root, B\'s still its child', async () => {
  const { a, b, traceId } = await chain('', {});
  assert.match(traceId, /^[0-9a-f]{32}$/);
  assert.equal(a.parentSpanId, undefined);
  assert.equal(b.traceId, a.traceId);
  assert.equal(b.parentSpanId, a.spanId);
});

test('A calling B through a service binding: B\'s span is a child of A\'s', async () => {
  const { a, b } = await chain('?via=binding', { traceparent: `00-${BINDING_TRACE}-${CLIENT_SPAN}-01` });
  assert.equal(a.parentSpanId, CLIENT_SPAN);
  assert.equal(b.traceId, BINDING_TRACE);
  assert.equal(b.parentSpanId, a.spanId);
});

test('A calling a method of B over RPC: B\'s span is a child of A\'s', async () => {
  const { a, b, seenByB } = await chain('?via=rpc', { traceparent: `00-${RPC_TRACE}-${CLIENT_SPAN}-01` });
  assert.equal(seenByB, 'pong');
  assert.equal(a.parentSpanId, CLIENT_SPAN);
  assert.equal(b.traceId, RPC_TRACE);
  assert.equal(b.parentSpanId, a.spanId);
});

test('every export carries the configured headers', () => {
  assert.ok(received.length > 0);
  for (const post of received) assert.equal(post.headers['x-api-key'], 'collector-secret');
});
