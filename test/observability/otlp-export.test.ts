// OTLP/HTTP export of one server span per request, received by a real HTTP server on loopback
// standing in for an OpenTelemetry collector; and the exporter dropping and counting when the
// collector fails.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { RequestOutcome } from '../../src/host/observability/platform-observer.js';
import { OtlpTraceExporter } from '../../src/host/observability/tracing/otlp-exporter.js';
import { otlpTraceId } from '../../src/host/observability/tracing/otlp-encoding.js';
import { otlpFromEnv, readServeConfig, ServeConfigError } from '../../src/host/platform/serve-config.js';
import { eventually } from '../helpers/cli.js';
import { startTestServe, type TestServe } from '../helpers/serve.js';

interface Attribute { key: string; value: Record<string, unknown> }
interface Span {
  traceId: string; spanId: string; parentSpanId?: string; name: string; kind: number;
  startTimeUnixNano: string; endTimeUnixNano: string; attributes: Attribute[]; status: { code?: number; message?: string };
}
interface Post { path: string; contentType: string | undefined; body: { resourceSpans: { resource: { attributes: Attribute[] }; scopeSpans: { scope: { name: string }; spans: Span[] }[] }[] } }

/** A collector: records each POST; `answer` decides the status. */
async function collector(answer: () => number = () => 200): Promise<{ server: Server; url: string; posts: Post[] }> {
  const posts: Post[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      posts.push({ path: req.url ?? '', contentType: req.headers['content-type'], body: JSON.parse(Buffer.concat(chunks).toString()) as Post['body'] });
      res.writeHead(answer(), { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, posts };
}

const attributes = (span: Span) => Object.fromEntries(span.attributes.map((a) => [a.key, Object.values(a.value)[0]]));
const spans = (posts: Post[]) => posts.flatMap((p) => p.body.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)));

let sink: Awaited<ReturnType<typeof collector>>;
let serve: TestServe;

before(async () => {
  sink = await collector();
  serve = await startTestServe({ engines: 1, observability: { logFormat: 'json', otlpTracesUrl: `${sink.url}/v1/traces` } });
  assert.equal((await serve.deploy('traced', `export default { fetch(request) {
    if (new URL(request.url).pathname.endsWith('/throw')) throw new Error('no');
    return new Response('traced', { status: 201 });
  } }`)).status, 201);
});
after(async () => {
  await serve?.close();
  sink?.server.close();
});

test('each request becomes one server span, POSTed as OTLP JSON to /v1/traces', async () => {
  const trace = '4bf92f3577b34da6a3ce929d0e0e4736';
  const before = Date.now();
  assert.equal((await serve.get('/traced/items/7?q=1', undefined, { traceparent: `00-${trace}-00f067aa0ba902b7-01` })).status, 201);
  assert.equal((await serve.get('/traced/throw', undefined, { 'x-trace-id': 'order-55' })).status, 500);
  const after = Date.now();
  await eventually(async () => spans(sink.posts).length >= 2);
  const post = sink.posts[0]!;
  assert.equal(post.path, '/v1/traces');
  assert.equal(post.contentType, 'application/json');
  assert.deepEqual(post.body.resourceSpans[0]!.resource.attributes, [{ key: 'service.name', value: { stringValue: 'islet' } }]);
  assert.equal(post.body.resourceSpans[0]!.scopeSpans[0]!.scope.name, 'islet');

  const ok = spans(sink.posts).find((s) => s.traceId === trace)!;
  assert.equal(ok.parentSpanId, '00f067aa0ba902b7');
  assert.match(ok.spanId, /^[0-9a-f]{16}$/);
  assert.equal(ok.name, 'GET traced');
  assert.equal(ok.kind, 2, 'SPAN_KIND_SERVER');
  assert.deepEqual(ok.status, {});
  const start = BigInt(ok.startTimeUnixNano);
  const end = BigInt(ok.endTimeUnixNano);
  assert.ok(start < end);
  assert.ok(start >= BigInt(before - 1) * 1_000_000n && end <= BigInt(after + 1) * 1_000_000n);
  const okAttributes = attributes(ok);
  assert.equal(okAttributes['http.request.method'], 'GET');
  assert.equal(okAttributes['url.path'], '/traced/items/7');
  assert.equal(okAttributes['http.response.status_code'], '201', 'int64 is a decimal string in OTLP JSON');
  assert.equal(okAttributes['islet.worker'], 'traced');
  assert.equal(okAttributes['islet.version'], '1');
  assert.equal(typeof okAttributes['islet.cpu_ms'], 'number');
  assert.ok((okAttributes['islet.cpu_ms'] as number) > 0);
  assert.equal(okAttributes['islet.cold_start'], false);

  // An X-Trace-ID that is not a W3C id is mapped to a 16-byte one and kept as it was.
  const failed = spans(sink.posts).find((s) => s.traceId === otlpTraceId('order-55'))!;
  assert.match(failed.traceId, /^[0-9a-f]{32}$/);
  assert.equal(failed.parentSpanId, undefined);
  assert.equal(attributes(failed)['islet.trace_id'], 'order-55');
  assert.equal(attributes(failed)['islet.outcome'], 'exception');
  assert.deepEqual(failed.status, { code: 2, message: 'exception' });
});

const outcome = (i: number): RequestOutcome => ({
  worker: 'w', version: 1, status: 200, admitted: true, durationMs: 1, cpuMs: 0.5, coldStartMs: -1, memoryMb: 128,
  failure: null, traceId: `trace-${i}`, method: 'GET', url: 'http://example.test/',
});

test('spans are batched, and dropped and counted while the collector fails', async () => {
  let status = 503;
  const failing = await collector(() => status);
  const problems: string[] = [];
  const exporter = new OtlpTraceExporter({ url: `${failing.url}/v1/traces`, maxBatch: 2, intervalMs: 60_000, onProblem: (m) => problems.push(m) });
  try {
    for (let i = 0; i < 4; i++) exporter.request(outcome(i));
    // A full batch goes out at once, without waiting for the timer.
    await eventually(async () => exporter.stats.dropped === 4);
    assert.deepEqual(failing.posts.map((p) => spans([p]).length), [2, 2]);
    assert.equal(problems.length, 1, 'told once per outage');
    assert.match(problems[0]!, /answered 503/);
    status = 200;
    for (let i = 4; i < 6; i++) exporter.request(outcome(i));
    await eventually(async () => exporter.stats.exported === 2);
    assert.equal(problems.length, 2);
    assert.match(problems[1]!, /works again; 4 spans were dropped/);
    // close() sends what is left, below a batch.
    exporter.request(outcome(6));
    await exporter.close();
    assert.deepEqual(exporter.stats, { exported: 3, dropped: 4, queued: 0 });
  } finally {
    await exporter.close();
    failing.server.close();
  }
});

test('a collector that is not there: spans are dropped, requests never wait', async () => {
  const gone = await collector();
  const url = `${gone.url}/v1/traces`;
  await new Promise<void>((resolve) => gone.server.close(() => resolve()));
  const problems: string[] = [];
  const exporter = new OtlpTraceExporter({ url, maxBatch: 512, maxQueue: 3, intervalMs: 50, onProblem: (m) => problems.push(m) });
  try {
    for (let i = 0; i < 5; i++) exporter.request(outcome(i));
    assert.equal(exporter.stats.queued, 3, 'the queue is bounded');
    assert.equal(exporter.stats.dropped, 2);
    await eventually(async () => exporter.stats.dropped === 5);
    assert.match(problems[0]!, /the export queue is full|ECONNREFUSED/);
  } finally {
    await exporter.close();
  }
});

test('the endpoint comes from [observability] otlp_endpoint or the OpenTelemetry variables', () => {
  const dir = mkdtempSync(join(tmpdir(), 'islet-otlp-config-'));
  try {
    writeFileSync(join(dir, 'islet.toml'), '[observability]\notlp_endpoint = "http://127.0.0.1:4318"\nlog_format = "pretty"\n');
    const config = readServeConfig(dir, { config: 'islet.toml' });
    assert.equal(config.observability.otlpTracesUrl, 'http://127.0.0.1:4318/v1/traces');
    assert.equal(config.observability.logFormat, 'pretty');
    assert.equal(readServeConfig(dir, { config: 'islet.toml', logFormat: 'json' }).observability.logFormat, 'json');
    writeFileSync(join(dir, 'bad.toml'), '[observability]\notlp_endpoint = "ftp://collector"\n');
    assert.throws(() => readServeConfig(dir, { config: 'bad.toml' }), ServeConfigError);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(otlpFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }), 'http://collector:4318/v1/traces');
  assert.equal(otlpFromEnv({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/custom', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://other:4318' }), 'http://collector:4318/custom');
  assert.equal(otlpFromEnv({}), null);
});
