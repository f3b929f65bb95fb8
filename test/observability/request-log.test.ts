// islet serve's JSON log (pino): real requests to real workers in an engine process, each giving one
// request line with the documented fields, and the worker's console lines and platform errors as
// lines with the same trace id.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { JsonLog } from '../../src/host/observability/logs/json-log.js';
import { startTestServe, type TestServe } from '../helpers/serve.js';
import { eventually } from '../helpers/cli.js';

const CHATTY = `export default { fetch(request) {
  const url = new URL(request.url);
  console.log('handling', url.pathname);
  console.warn('careful');
  if (url.pathname.endsWith('/throw')) throw new Error('chatty failed on purpose');
  return new Response('chatty', { status: url.pathname.endsWith('/teapot') ? 418 : 200 });
} }`;

type Line = Record<string, unknown>;
const lines: Line[] = [];
let serve: TestServe;

before(async () => {
  const json = new JsonLog({ write: (text: string) => { for (const l of text.split('\n')) if (l !== '') lines.push(JSON.parse(l) as Line); } });
  serve = await startTestServe({ engines: 1 }, undefined, { log: json, observers: [json] });
  assert.equal((await serve.deploy('chatty', CHATTY)).status, 201);
});
after(async () => { await serve?.close(); });

const requestLines = (traceId: string) => lines.filter((l) => l.type === 'request' && l.traceId === traceId);

test('one request line per request, with the documented fields', async () => {
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  const answer = await serve.get('/chatty/teapot?token=secret', undefined, { traceparent: `00-${traceId}-00f067aa0ba902b7-01` });
  assert.equal(answer.status, 418);
  assert.equal(answer.headers['x-trace-id'], traceId);
  await eventually(async () => requestLines(traceId).length === 1);
  const line = requestLines(traceId)[0]!;
  const { host } = new URL(serve.url);
  assert.deepEqual(Object.keys(line), ['level', 'type', 'time', 'worker', 'version', 'method', 'host', 'path', 'status', 'durationMs', 'cpuMs', 'cold', 'traceId', 'outcome']);
  assert.equal(line.level, 'info');
  assert.equal(line.worker, 'chatty');
  assert.equal(line.version, 1);
  assert.equal(line.method, 'GET');
  assert.equal(line.host, host);
  // The query string stays out of the log.
  assert.equal(line.path, '/chatty/teapot');
  assert.equal(line.status, 418);
  assert.equal(line.outcome, 'ok');
  assert.equal(typeof line.cold, 'boolean');
  assert.ok(typeof line.durationMs === 'number' && line.durationMs > 0);
  assert.ok(typeof line.cpuMs === 'number' && line.cpuMs > 0 && line.cpuMs <= (line.durationMs as number));
  assert.ok(Math.abs(Date.parse(line.time as string) - Date.now()) < 60_000);

  const consoleLines = lines.filter((l) => l.type === 'console' && l.traceId === traceId);
  assert.deepEqual(consoleLines.map((l) => [l.level, l.console, l.worker, l.msg]), [
    ['info', 'log', 'chatty', 'handling /chatty/teapot'],
    ['warn', 'warn', 'chatty', 'careful'],
  ]);
});

test('a request that starts an isolate is cold, the next one warm', async () => {
  // A new secret reaches the worker in a fresh isolate, so the next request pays a cold start.
  assert.equal((await serve.admin('PUT', '/workers/chatty/secrets/KEY', { value: 'v' })).status, 200);
  assert.equal((await serve.get('/chatty/a', undefined, { 'x-trace-id': 'cold-check-1' })).status, 200);
  assert.equal((await serve.get('/chatty/a', undefined, { 'x-trace-id': 'cold-check-2' })).status, 200);
  await eventually(async () => requestLines('cold-check-2').length === 1);
  assert.equal(requestLines('cold-check-1')[0]!.cold, true);
  assert.equal(requestLines('cold-check-2')[0]!.cold, false);
});

test('an uncaught exception: outcome "exception" at level error, and the stack as a platform line of the same trace', async () => {
  const answer = await serve.get('/chatty/throw', undefined, { 'x-trace-id': 'failing-request-1' });
  assert.equal(answer.status, 500);
  await eventually(async () => requestLines('failing-request-1').length === 1);
  const line = requestLines('failing-request-1')[0]!;
  assert.equal(line.outcome, 'exception');
  assert.equal(line.level, 'error');
  assert.equal(line.status, 500);
  await eventually(async () => lines.some((l) => l.type === 'platform' && l.traceId === 'failing-request-1'));
  const platform = lines.find((l) => l.type === 'platform' && l.traceId === 'failing-request-1')!;
  assert.equal(platform.level, 'error');
  assert.equal(platform.worker, 'chatty');
  assert.match(platform.msg as string, /chatty failed on purpose/);
});

test('a request the platform refuses is logged with its failure kind', async () => {
  assert.equal((await serve.deploy('limited', 'export default { fetch() { return new Response("x"); } }', { config: { limits: { ratePerSecond: 1 } } })).status, 201);
  // Sent together, so even a slow machine sends them within the second one is allowed.
  const answers = await Promise.all([0, 1, 2, 3, 4].map((i) => serve.get('/limited/', undefined, { 'x-trace-id': `rate-${i}` })));
  const refused = answers.findIndex((a) => a.status === 429);
  assert.notEqual(refused, -1, `statuses: ${answers.map((a) => a.status).join(', ')}`);
  await eventually(async () => requestLines(`rate-${refused}`).length === 1);
  const line = requestLines(`rate-${refused}`)[0]!;
  assert.equal(line.outcome, 'rate_limited');
  assert.equal(line.status, 429);
  assert.equal(line.cpuMs, 0);
});

test('a cron run is one line of type scheduled naming its trigger, not a request with a URL', async () => {
  const CRON = `export default { async scheduled(controller) { console.log('nightly ran'); } }`;
  assert.equal((await serve.deploy('nightly', CRON, { config: { crons: ['0 3 * * *'] } })).status, 201);
  const ran = await serve.admin('POST', `/workers/nightly/scheduled?cron=${encodeURIComponent('0 3 * * *')}&time=1767236400000`);
  assert.equal(ran.status, 200);
  await eventually(async () => lines.some((l) => l.type === 'scheduled' && l.worker === 'nightly'));
  const line = lines.find((l) => l.type === 'scheduled' && l.worker === 'nightly')!;
  assert.deepEqual(Object.keys(line), ['level', 'type', 'time', 'worker', 'version', 'cron', 'scheduledTime', 'durationMs', 'cpuMs', 'cold', 'traceId', 'outcome']);
  assert.deepEqual([line.level, line.cron, line.scheduledTime, line.outcome], ['info', '0 3 * * *', 1767236400000, 'ok']);
  assert.ok(!lines.some((l) => l.type === 'request' && l.worker === 'nightly'));
  // Its console line carries the run's trace id.
  assert.ok(lines.some((l) => l.type === 'console' && l.msg === 'nightly ran' && l.traceId === line.traceId));
});
