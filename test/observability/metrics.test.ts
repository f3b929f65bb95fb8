// GET /metrics and the usage endpoint of `islet serve`: after known traffic to real workers, the
// counts, histograms, error kinds, engine gauges and costs read exactly what was sent.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DURATION_BUCKETS } from '../../src/host/observability/metrics/platform-metrics.js';
import { parseExposition, sampleValue as value, type Sample } from '../helpers/exposition.js';
import { startTestServe, TOKEN, type TestServe } from '../helpers/serve.js';

const ALPHA = `export default { fetch(request) {
  if (new URL(request.url).pathname.includes('/throw')) throw new Error('alpha failed on purpose');
  return new Response('alpha');
} }`;
const BETA = `export default { fetch() { return new Response('beta'); } }`;
const SPIN = `export default { fetch() { for (;;) {} } }`;
const SLEEPY = `export default { async fetch() { await new Promise((r) => setTimeout(r, 5000)); return new Response('late'); } }`;

// Prices chosen so each figure is easy to check: $1 a request, $1 a CPU ms, $1 a GB-second.
const PRICES = { perMillionRequests: 1_000_000, perMillionCpuMs: 1_000_000, perGbSecond: 1 };

async function scrape(serve: TestServe, token: string | null = TOKEN): Promise<Response> {
  return fetch(`${serve.adminUrl}/metrics`, { headers: token === null ? {} : { authorization: `Bearer ${token}` } });
}

let serve: TestServe;
let samples: Sample[];
/** Client-side round trips per worker, in ms: each server-side duration is shorter than its round trip. */
const roundTrips = { alpha: 0, beta: 0 };
const sent = { alpha: { ok: 5, thrown: 3 }, beta: { ok: 4 } };

async function timedGet(worker: 'alpha' | 'beta', path: string): Promise<number> {
  const started = performance.now();
  const answer = await serve.get(path);
  roundTrips[worker] += performance.now() - started;
  return answer.status;
}

before(async () => {
  serve = await startTestServe({ engines: 1, cost: PRICES });
  for (const [name, code] of [['alpha', ALPHA], ['beta', BETA]] as const) {
    assert.equal((await serve.deploy(name, code)).status, 201);
    // A deploy loads the isolate; a new secret replaces it, so the next request pays one cold start.
    assert.equal((await serve.admin('PUT', `/workers/${name}/secrets/TOKEN`, { value: 'x' })).status, 200);
  }
  for (let i = 0; i < sent.alpha.ok; i++) assert.equal(await timedGet('alpha', `/alpha/unique-path-${i}?q=private`), 200);
  for (let i = 0; i < sent.alpha.thrown; i++) assert.equal(await timedGet('alpha', `/alpha/throw/unique-path-${i}`), 500);
  for (let i = 0; i < sent.beta.ok; i++) assert.equal(await timedGet('beta', `/beta/unique-path-${i}`), 200);
  assert.equal((await serve.deploy('spin', SPIN, { config: { limits: { cpuMs: 20 } } })).status, 201);
  assert.equal((await serve.get('/spin/')).status, 503);
  assert.equal((await serve.deploy('sleepy', SLEEPY, { config: { limits: { wallMs: 50 } } })).status, 201);
  assert.equal((await serve.get('/sleepy/')).status, 503);
  assert.equal((await serve.deploy('metered', BETA, { config: { limits: { ratePerSecond: 1 } } })).status, 201);
  assert.deepEqual([(await serve.get('/metered/')).status, (await serve.get('/metered/')).status], [200, 429]);
  const answer = await scrape(serve);
  assert.equal(answer.status, 200);
  assert.equal(answer.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
  samples = parseExposition(await answer.text());
});
after(async () => { await serve.close(); });

test('/metrics needs the admin token', async () => {
  const without = await scrape(serve, null);
  assert.equal(without.status, 401);
  assert.equal(without.headers.get('www-authenticate'), 'Bearer realm="islet-admin"');
  assert.equal((await without.json() as { error: { code: string } }).error.code, 'unauthorized');
  assert.equal((await scrape(serve, 'not-the-token-0123456789')).status, 401);
  const post = await fetch(`${serve.adminUrl}/metrics`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(post.status, 405);
  assert.equal((await fetch(`${serve.adminUrl}/other`, { headers: { authorization: `Bearer ${TOKEN}` } })).status, 404);
});

test('requests are counted by worker, version and status class', () => {
  assert.equal(value(samples, 'islet_requests_total', { worker: 'alpha', version: '1', status_class: '2xx' }), sent.alpha.ok);
  assert.equal(value(samples, 'islet_requests_total', { worker: 'alpha', version: '1', status_class: '5xx' }), sent.alpha.thrown);
  assert.equal(value(samples, 'islet_requests_total', { worker: 'beta', version: '1', status_class: '2xx' }), sent.beta.ok);
  assert.equal(value(samples, 'islet_requests_total', { worker: 'beta', status_class: '5xx' }), undefined);
  assert.equal(value(samples, 'islet_requests_total', { worker: 'metered', status_class: '2xx' }), 1);
  assert.equal(value(samples, 'islet_requests_total', { worker: 'metered', status_class: '4xx' }), 1);
  assert.equal(value(samples, 'islet_requests_total', { worker: 'spin', status_class: '5xx' }), 1);
});

test('duration and CPU histograms count every request a worker ran, with cumulative buckets', () => {
  for (const [worker, requests] of [['alpha', sent.alpha.ok + sent.alpha.thrown], ['beta', sent.beta.ok]] as const) {
    for (const name of ['islet_request_duration_seconds', 'islet_request_cpu_seconds']) {
      assert.equal(value(samples, `${name}_count`, { worker }), requests, `${name} ${worker}`);
      const buckets = samples.filter((s) => s.name === `${name}_bucket` && s.labels.worker === worker);
      assert.deepEqual(buckets.map((b) => (b.labels.le === '+Inf' ? Infinity : Number(b.labels.le))), [...DURATION_BUCKETS, Infinity]);
      for (let i = 1; i < buckets.length; i++) assert.ok(buckets[i]!.value >= buckets[i - 1]!.value, `${name} ${worker} buckets are cumulative`);
      assert.equal(buckets.at(-1)!.value, requests, 'the +Inf bucket holds every request');
      assert.ok(value(samples, `${name}_sum`, { worker })! > 0);
    }
    const durationMs = value(samples, 'islet_request_duration_seconds_sum', { worker })! * 1000;
    assert.ok(durationMs <= roundTrips[worker], `${worker}: ${durationMs} ms measured inside, ${roundTrips[worker]} ms of round trips`);
  }
  assert.equal(value(samples, 'islet_request_duration_seconds_count', { worker: 'metered' }), 1, 'a refused request ran no worker');
});

test('one cold start per worker, after its isolate was replaced', () => {
  for (const worker of ['alpha', 'beta']) {
    assert.equal(value(samples, 'islet_cold_starts_total', { worker }), 1, worker);
    assert.equal(value(samples, 'islet_cold_start_duration_seconds_count', { worker }), 1, worker);
    assert.ok(value(samples, 'islet_cold_start_duration_seconds_sum', { worker })! > 0);
  }
});

test('errors are counted by worker and kind', () => {
  const errors = samples.filter((s) => s.name === 'islet_errors_total').map((s) => `${s.labels.worker}/${s.labels.kind}=${s.value}`).sort();
  assert.deepEqual(errors, [`alpha/exception=${sent.alpha.thrown}`, 'metered/rate_limited=1', 'sleepy/wall_limit=1', 'spin/cpu_limit=1']);
});

test('engine gauges are read at scrape time', () => {
  assert.equal(value(samples, 'islet_engines'), 1);
  assert.equal(value(samples, 'islet_engine_up', { engine: '0' }), 1);
  assert.equal(value(samples, 'islet_engine_restarts_total', { engine: '0' }), 0);
  assert.ok(value(samples, 'islet_engine_resident_isolates', { engine: '0' })! >= 2);
  assert.ok(value(samples, 'islet_engine_rss_bytes', { engine: '0' })! > 0);
  assert.equal(value(samples, 'islet_engine_in_flight_requests', { engine: '0' }), 0);
  // The default memory limit is 128 MiB; V8's heap limit for it is at least that.
  assert.ok(value(samples, 'islet_isolate_heap_limit_bytes', { engine: '0', worker: 'alpha' })! >= 128 * 1024 * 1024);
  assert.ok(value(samples, 'islet_isolate_heap_used_bytes', { engine: '0', worker: 'alpha' })! > 0);
});

test('labels are bounded: workers, versions, status classes, kinds and engines, never paths', async () => {
  const text = await (await scrape(serve)).text();
  assert.doesNotMatch(text, /unique-path|private|throw\//);
  const allowed = new Set(['worker', 'version', 'status_class', 'kind', 'engine', 'le']);
  const workers = new Set(['alpha', 'beta', 'spin', 'sleepy', 'metered']);
  for (const sample of parseExposition(text)) {
    for (const [key, labelValue] of Object.entries(sample.labels)) {
      assert.ok(allowed.has(key), `label ${key} on ${sample.name}`);
      if (key === 'worker') assert.ok(workers.has(labelValue), `worker label ${labelValue}`);
      if (key === 'status_class') assert.match(labelValue, /^[1-5]xx$/);
      if (key === 'version') assert.match(labelValue, /^\d+$/);
    }
  }
});

test('usage and cost follow the price model and agree with the metrics', async () => {
  const answer = await serve.admin('GET', '/workers/alpha/usage');
  assert.equal(answer.status, 200);
  const usage = answer.json as { worker: string; since: string; requests: number; cpuMs: number; gbSeconds: number; cost: Record<string, number>; prices: unknown };
  assert.equal(usage.worker, 'alpha');
  assert.ok(Date.parse(usage.since) <= Date.now());
  assert.deepEqual(usage.prices, PRICES);
  assert.equal(usage.requests, sent.alpha.ok + sent.alpha.thrown);
  const cpuMs = value(samples, 'islet_request_cpu_seconds_sum', { worker: 'alpha' })! * 1000;
  assert.ok(Math.abs(usage.cpuMs - cpuMs) < 1e-6, `${usage.cpuMs} CPU ms in usage, ${cpuMs} in the histogram`);
  // 128 MB (the default memory limit) held for each request's duration.
  const durationS = value(samples, 'islet_request_duration_seconds_sum', { worker: 'alpha' })!;
  assert.ok(Math.abs(usage.gbSeconds - (128 / 1024) * durationS) < 1e-9);
  assert.equal(usage.cost.requests, usage.requests);
  assert.ok(Math.abs(usage.cost.cpu! - usage.cpuMs) < 1e-9);
  assert.ok(Math.abs(usage.cost.memory! - usage.gbSeconds) < 1e-12);
  assert.ok(Math.abs(usage.cost.total! - (usage.cost.requests! + usage.cost.cpu! + usage.cost.memory!)) < 1e-9);
  assert.ok(Math.abs(value(samples, 'islet_worker_cost_total', { worker: 'alpha' })! - usage.cost.total!) < 1e-9, 'the cost metric is the usage cost');

  const metered = (await serve.admin('GET', '/workers/metered/usage')).json as { requests: number; cost: { requests: number } };
  assert.equal(metered.requests, 1, 'the request refused at the rate limit is not billed');
  assert.equal(metered.cost.requests, 1);
  assert.equal((await serve.admin('GET', '/workers/nobody/usage')).status, 404);
});
