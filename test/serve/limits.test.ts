// Per-worker limits under `islet serve`, each with a well-behaved neighbour proven unaffected.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestServe, type TestServe } from '../helpers/serve.js';

const HELLO = `export default { fetch() { return new Response('ok'); } }`;
// Holds each request until ?release is fetched (a wait on a timer inside the isolate, not on the host).
const SLOW = `export default { async fetch(request) {
  await new Promise((resolve) => setTimeout(resolve, Number(new URL(request.url).searchParams.get('ms') ?? 300)));
  return new Response('done');
} }`;

let serve: TestServe;
before(async () => {
  serve = await startTestServe({ engines: 2 });
  assert.equal((await serve.deploy('neighbour', HELLO)).status, 201);
});
after(async () => { await serve.close(); });

test('requests beyond concurrency + queue get 503 with Retry-After; the neighbour keeps answering', async () => {
  assert.equal((await serve.deploy('narrow', SLOW, { config: { limits: { concurrency: 2, queue: 3 } } })).status, 201);
  const burst = Array.from({ length: 8 }, () => serve.get('/narrow/?ms=400'));
  // While the burst is held, the neighbour is not.
  assert.equal((await serve.get('/neighbour/')).body, 'ok');
  const answers = await Promise.all(burst);
  const statuses = answers.map((a) => a.status).sort();
  assert.deepEqual(statuses, [200, 200, 200, 200, 200, 503, 503, 503], '2 running + 3 queued are served, the other 3 refused');
  const refused = answers.find((a) => a.status === 503)!;
  assert.equal(refused.headers['retry-after'], '1');
  assert.match(refused.body, /too many requests waiting/);
});

test('a request rate beyond the limit gets 429 with Retry-After; other workers are not limited', async () => {
  assert.equal((await serve.deploy('metered', HELLO, { config: { limits: { ratePerSecond: 5 } } })).status, 201);
  const statuses: number[] = [];
  for (let i = 0; i < 8; i++) statuses.push((await serve.get('/metered/')).status);
  assert.deepEqual(statuses.slice(0, 5), [200, 200, 200, 200, 200], 'a one-second burst of 5 is allowed');
  assert.ok(statuses.slice(5).includes(429), `then 429s, got ${statuses.join(',')}`);
  const limited = await serve.get('/metered/');
  if (limited.status === 429) assert.match(String(limited.headers['retry-after']), /^[1-9]\d*$/);
  for (let i = 0; i < 20; i++) assert.equal((await serve.get('/neighbour/')).status, 200);
});

test('a worker over its CPU limit gets 503, its neighbour is unaffected', async () => {
  assert.equal((await serve.deploy('spinner', `export default { fetch() { for (;;) {} } }`, { config: { limits: { cpuMs: 20 } } })).status, 201);
  const [spun, calm] = await Promise.all([serve.get('/spinner/'), serve.get('/neighbour/')]);
  assert.equal(spun.status, 503);
  assert.match(spun.body, /CPU time limit/);
  assert.equal(calm.status, 200);
});

test('a worker over its memory limit gets 503 and a fresh isolate; its neighbour is unaffected', async () => {
  const hog = `const keep = []; export default { fetch(r) {
    if (new URL(r.url).searchParams.has('grow')) for (;;) keep.push(new Array(1e5).fill(keep.length));
    return new Response('fine');
  } }`;
  assert.equal((await serve.deploy('hog', hog, { config: { limits: { memoryMb: 32, cpuMs: 5000 } } })).status, 201);
  const grown = await serve.get('/hog/?grow');
  assert.ok(grown.status === 503 || grown.status === 502, `status ${grown.status}: ${grown.body}`);
  assert.equal((await serve.get('/neighbour/')).body, 'ok');
  assert.equal((await serve.get('/hog/')).body, 'fine', 'the worker itself recovers in a new isolate');
});

test('a request over its wall-clock limit gets 503; the neighbour is unaffected', async () => {
  assert.equal((await serve.deploy('sleeper', SLOW, { config: { limits: { wallMs: 200 } } })).status, 201);
  const [slept, calm] = await Promise.all([serve.get('/sleeper/?ms=3000'), serve.get('/neighbour/')]);
  assert.equal(slept.status, 503);
  assert.match(slept.body, /wall-clock time limit/);
  assert.equal(calm.body, 'ok');
  assert.equal((await serve.get('/sleeper/?ms=10')).body, 'done', 'a request within the limit still works');
});

test('subrequests beyond the worker\'s limit fail with the error Workers gives', async () => {
  const caller = `export default { async fetch() {
    const out = [];
    for (let i = 0; i < 3; i++) {
      try { await fetch('http://10.255.255.1/'); out.push('fetched'); } catch (e) { out.push(e.message); }
    }
    return new Response(JSON.stringify(out));
  } }`;
  assert.equal((await serve.deploy('caller', caller, { config: { limits: { subrequests: 2 } } })).status, 201);
  const out = JSON.parse((await serve.get('/caller/')).body) as string[];
  assert.equal(out.length, 3);
  assert.doesNotMatch(out[0]!, /Too many subrequests/, 'the first two count but are allowed (the egress policy refuses them)');
  assert.equal(out[2], 'Too many subrequests.');
});

test('closing the server lets a request in flight finish', async () => {
  const own = await startTestServe();
  try {
    await own.deploy('slow', SLOW);
    const pending = own.get('/slow/?ms=300');
    await new Promise((r) => setTimeout(r, 100));
    const closing = own.running.close(5_000);
    const answer = await pending;
    assert.deepEqual([answer.status, answer.body], [200, 'done']);
    await closing;
  } finally {
    await own.close();
  }
});
