// OTLP/HTTP export of one server span per request, received by a real HTTP server on loopback
// standing in for an OpenTelemetry collector; the exporter retrying what the OTLP/HTTP spec lets it
// retry, and dropping and counting the rest; and the headers a collector needs.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { RequestOutcome } from '../../src/host/observability/platform-observer.js';
import { OtlpTraceExporter, retryAfterMs } from '../../src/host/observability/tracing/otlp-exporter.js';
import { otlpTraceId } from '../../src/host/observability/tracing/otlp-encoding.js';
import { otlpHeadersFromEnv } from '../../src/host/observability/tracing/otlp-headers.js';
import { otlpFromEnv, readServeConfig, ServeConfigError } from '../../src/host/platform/serve-config.js';
import { eventually } from '../helpers/cli.js';
import { startTestServe, type TestServe } from '../helpers/serve.js';

interface Attribute { key: string; value: Record<string, unknown> }
interface Span {
  traceId: string; spanId: string; parentSpanId?: string; name: string; kind: number;
  startTimeUnixNano: string; endTimeUnixNano: string; attributes: Attribute[]; status: { code?: number; message?: string };
}
interface Post { path: string; contentType: string | undefined; headers: IncomingHttpHeaders; at: number; body: { resourceSpans: { resource: { attributes: Attribute[] }; scopeSpans: { scope: { name: string }; spans: Span[] }[] }[] } }

/**
 * A collector: records each POST; `answer` decides the status and any headers, or 'reset' to cut the
 * connection without an answer.
 */
async function collector(answer: () => number | 'reset' | [number, Record<string, string>] = () => 200): Promise<{ server: Server; url: string; posts: Post[] }> {
  const posts: Post[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      posts.push({
        path: req.url ?? '', contentType: req.headers['content-type'], headers: req.headers, at: performance.now(),
        body: JSON.parse(Buffer.concat(chunks).toString()) as Post['body'],
      });
      const reply = answer();
      if (reply === 'reset') { req.socket.destroy(); return; }
      const [status, headers] = typeof reply === 'number' ? [reply, {}] : reply;
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
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
  serve = await startTestServe({ engines: 1, observability: { logFormat: 'json', otlpTracesUrl: `${sink.url}/v1/traces`, otlpHeaders: { authorization: 'Bearer t0ken' } } });
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
  assert.equal(post.headers.authorization, 'Bearer t0ken', 'the configured headers go with each export');
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

test('spans are batched, and dropped and counted while the collector fails for good', async () => {
  // 500 is not one of the codes OTLP/HTTP lets a client retry: each batch is sent once.
  let status = 500;
  const failing = await collector(() => status);
  const problems: string[] = [];
  const exporter = new OtlpTraceExporter({ url: `${failing.url}/v1/traces`, maxBatch: 2, intervalMs: 60_000, onProblem: (m) => problems.push(m) });
  try {
    for (let i = 0; i < 4; i++) exporter.request(outcome(i));
    // A full batch goes out at once, without waiting for the timer.
    await eventually(async () => exporter.stats.dropped === 4);
    assert.deepEqual(failing.posts.map((p) => spans([p]).length), [2, 2]);
    assert.equal(problems.length, 1, 'told once per outage');
    assert.match(problems[0]!, /answered 500/);
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
  const exporter = new OtlpTraceExporter({ url, maxBatch: 512, maxQueue: 3, intervalMs: 50, retry: { initialBackoffMs: 10, maxBackoffMs: 20 }, onProblem: (m) => problems.push(m) });
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

const spanIds = (post: Post) => spans([post]).map((s) => s.spanId);

for (const status of [429, 502, 503, 504]) {
  test(`a batch answered ${status} is sent again, the same spans, until the collector takes it`, async () => {
    const answers = [status, status, 200];
    const flaky = await collector(() => answers.shift() ?? 200);
    const problems: string[] = [];
    const exporter = new OtlpTraceExporter({ url: `${flaky.url}/v1/traces`, maxBatch: 2, intervalMs: 60_000, retry: { initialBackoffMs: 10, maxBackoffMs: 40 }, onProblem: (m) => problems.push(m) });
    try {
      exporter.request(outcome(1));
      exporter.request(outcome(2));
      await eventually(async () => exporter.stats.exported === 2);
      assert.equal(flaky.posts.length, 3);
      assert.deepEqual(spanIds(flaky.posts[1]!), spanIds(flaky.posts[0]!));
      assert.deepEqual(spanIds(flaky.posts[2]!), spanIds(flaky.posts[0]!));
      assert.equal(exporter.stats.dropped, 0);
      assert.deepEqual(problems, [], 'a retry that works is no outage');
    } finally {
      await exporter.close();
      flaky.server.close();
    }
  });
}

for (const status of [400, 401, 403, 404, 413, 500, 501]) {
  test(`a batch answered ${status} is dropped at once, never sent again`, async () => {
    const refusing = await collector(() => status);
    const exporter = new OtlpTraceExporter({ url: `${refusing.url}/v1/traces`, maxBatch: 1, intervalMs: 60_000, retry: { initialBackoffMs: 10, maxBackoffMs: 10 } });
    try {
      exporter.request(outcome(1));
      await eventually(async () => exporter.stats.dropped === 1);
      // Time enough for several retries, had there been any.
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(refusing.posts.length, 1);
      assert.equal(exporter.stats.exported, 0);
    } finally {
      await exporter.close();
      refusing.server.close();
    }
  });
}

test('a connection cut without an answer is retried', async () => {
  let cuts = 1;
  const cutting = await collector(() => (cuts-- > 0 ? 'reset' : 200));
  const exporter = new OtlpTraceExporter({ url: `${cutting.url}/v1/traces`, maxBatch: 1, intervalMs: 60_000, retry: { initialBackoffMs: 10, maxBackoffMs: 10 } });
  try {
    exporter.request(outcome(1));
    await eventually(async () => exporter.stats.exported === 1);
    assert.equal(cutting.posts.length, 2);
    assert.equal(exporter.stats.dropped, 0);
  } finally {
    await exporter.close();
    cutting.server.close();
  }
});

test('retries are bounded, and their pauses grow', async () => {
  const down = await collector(() => 503);
  const problems: string[] = [];
  const exporter = new OtlpTraceExporter({
    url: `${down.url}/v1/traces`, maxBatch: 1, intervalMs: 60_000,
    retry: { maxAttempts: 4, initialBackoffMs: 100, maxBackoffMs: 10_000 }, onProblem: (m) => problems.push(m),
  });
  try {
    exporter.request(outcome(1));
    await eventually(async () => exporter.stats.dropped === 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(down.posts.length, 4, 'maxAttempts POSTs in all');
    const gaps = down.posts.slice(1).map((p, i) => p.at - down.posts[i]!.at);
    // Exponential from 100 ms, jittered at most down to half: at least 50, 100 and 200 ms.
    gaps.forEach((gap, i) => assert.ok(gap >= 100 * 2 ** i / 2 - 5, `pause ${i + 1} was ${gap} ms`));
    assert.ok(gaps[2]! > gaps[0]!, `${gaps.join(', ')} ms`);
    assert.equal(problems.length, 1);
    assert.match(problems[0]!, /answered 503, 4 attempts/);
  } finally {
    await exporter.close();
    down.server.close();
  }
});

test('Retry-After is honoured in seconds or as a date, and one beyond the bound drops the batch', async () => {
  const answers: [number, Record<string, string>][] = [[429, { 'retry-after': '1' }], [200, {}]];
  const throttling = await collector(() => answers.shift() ?? [200, {}]);
  const exporter = new OtlpTraceExporter({ url: `${throttling.url}/v1/traces`, maxBatch: 1, intervalMs: 60_000, retry: { initialBackoffMs: 1, maxBackoffMs: 1 } });
  try {
    exporter.request(outcome(1));
    await eventually(async () => exporter.stats.exported === 1);
    assert.equal(throttling.posts.length, 2);
    assert.ok(throttling.posts[1]!.at - throttling.posts[0]!.at >= 990, 'waited the second the collector asked for, not the 1 ms backoff');
  } finally {
    await exporter.close();
    throttling.server.close();
  }

  const stern = await collector(() => [503, { 'retry-after': '120' }]);
  const problems: string[] = [];
  const bounded = new OtlpTraceExporter({ url: `${stern.url}/v1/traces`, maxBatch: 1, intervalMs: 60_000, retry: { maxRetryAfterMs: 10_000 }, onProblem: (m) => problems.push(m) });
  try {
    bounded.request(outcome(1));
    await eventually(async () => bounded.stats.dropped === 1);
    assert.equal(stern.posts.length, 1, 'not held for two minutes');
    assert.match(problems[0]!, /retry after 120 s/);
  } finally {
    await bounded.close();
    stern.server.close();
  }

  const now = Date.parse('2025-01-01T00:00:00Z');
  assert.equal(retryAfterMs('3', now), 3_000);
  assert.equal(retryAfterMs('Wed, 01 Jan 2025 00:00:05 GMT', now), 5_000);
  assert.equal(retryAfterMs('Tue, 31 Dec 2024 23:59:00 GMT', now), 0, 'a date already past: at once');
  assert.equal(retryAfterMs('soon', now), null);
  assert.equal(retryAfterMs('-1', now), null);
  assert.equal(retryAfterMs(null, now), null);
});

test('while a batch waits to be retried, requests never wait and the queue stays bounded; close() does not wait out the pause', async () => {
  const down = await collector(() => 503);
  const exporter = new OtlpTraceExporter({ url: `${down.url}/v1/traces`, maxBatch: 2, maxQueue: 4, intervalMs: 60_000, retry: { initialBackoffMs: 60_000, maxBackoffMs: 60_000 } });
  try {
    exporter.request(outcome(1));
    exporter.request(outcome(2));
    await eventually(async () => down.posts.length === 1);
    for (let i = 3; i < 13; i++) exporter.request(outcome(i));
    assert.equal(exporter.stats.queued, 4);
    assert.equal(exporter.stats.dropped, 6, 'beyond the queue, spans are dropped, not held');
    const closing = performance.now();
    await exporter.close();
    assert.ok(performance.now() - closing < 5_000, 'close() sent the waiting batch at once');
    // The waiting batch once more, then the queue's two batches, each once: no retries after close().
    assert.equal(down.posts.length, 4);
    assert.deepEqual(exporter.stats, { exported: 0, dropped: 12, queued: 0 });
  } finally {
    await exporter.close();
    down.server.close();
  }
});

test('headers come from OTEL_EXPORTER_OTLP_HEADERS, OTEL_EXPORTER_OTLP_TRACES_HEADERS over it key by key, and otlp_headers over both', () => {
  assert.deepEqual({ ...otlpHeadersFromEnv({
    OTEL_EXPORTER_OTLP_HEADERS: ' API-Key = general , x-tenant=acme%2Cinc,authorization=Basic%20dXNlcjpwYXNz,',
    OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'api-key=for%3Dtraces',
  }) }, { 'api-key': 'for=traces', 'x-tenant': 'acme,inc', authorization: 'Basic dXNlcjpwYXNz' });
  assert.deepEqual({ ...otlpHeadersFromEnv({}) }, {});

  const dir = mkdtempSync(join(tmpdir(), 'islet-otlp-headers-'));
  const saved = process.env.OTEL_EXPORTER_OTLP_HEADERS;
  try {
    process.env.OTEL_EXPORTER_OTLP_HEADERS = 'x-api-key=from-env,x-env-only=1';
    writeFileSync(join(dir, 'islet.toml'), '[observability]\notlp_headers = { "X-API-Key" = "from-config", "x-scope" = "a b" }\n');
    assert.deepEqual({ ...readServeConfig(dir, { config: 'islet.toml' }).observability.otlpHeaders },
      { 'x-api-key': 'from-config', 'x-env-only': '1', 'x-scope': 'a b' });

    const refused = (toml: string, pattern: RegExp) => {
      writeFileSync(join(dir, 'bad.toml'), `[observability]\n${toml}\n`);
      assert.throws(() => readServeConfig(dir, { config: 'bad.toml' }), (err: unknown) => {
        assert.ok(err instanceof ServeConfigError);
        assert.match(err.message, pattern);
        assert.doesNotMatch(err.message, /s3cret/, 'a header value is never shown');
        return true;
      });
    };
    refused('otlp_headers = "x-api-key=s3cret"', /otlp_headers" must be a table/);
    refused('otlp_headers = { "x-ok" = "1", "bad name" = "s3cret" }', /entry 2 has no valid header name/);
    refused('otlp_headers = { "X-Api-Key" = 5 }', /the value of header "x-api-key" must be a string/);
    refused('otlp_headers = { "x-api-key" = "s3cret\\r\\nx-evil: 1" }', /value of header "x-api-key" must be/);
    refused('otlp_headers = { "x-api-key" = "" }', /value of header "x-api-key" must be/);
    refused('otlp_headers = { "Content-Type" = "s3cret" }', /"content-type" is set by the exporter/);

    process.env.OTEL_EXPORTER_OTLP_HEADERS = 'x-api-key=%E0%A4%As3cret';
    assert.throws(() => readServeConfig(dir, {}), (err: unknown) => err instanceof ServeConfigError
      && /OTEL_EXPORTER_OTLP_HEADERS: the value of header "x-api-key" has a malformed percent-encoding/.test(err.message) && !err.message.includes('s3cret'));
    process.env.OTEL_EXPORTER_OTLP_HEADERS = 'x-api-key';
    assert.throws(() => readServeConfig(dir, {}), /OTEL_EXPORTER_OTLP_HEADERS: entry 1 has no "="/);
    // A name that is not one may be a secret in the wrong place (a colon instead of "="): never shown.
    process.env.OTEL_EXPORTER_OTLP_HEADERS = 'x-a=1,authorization: Bearer s3cret=';
    assert.throws(() => readServeConfig(dir, {}), (err: unknown) => err instanceof ServeConfigError
      && /OTEL_EXPORTER_OTLP_HEADERS: entry 2 has no valid header name/.test(err.message) && !err.message.includes('s3cret'));
  } finally {
    if (saved === undefined) delete process.env.OTEL_EXPORTER_OTLP_HEADERS;
    else process.env.OTEL_EXPORTER_OTLP_HEADERS = saved;
    rmSync(dir, { recursive: true, force: true });
  }
});
