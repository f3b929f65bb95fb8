// GET /api/v1/workers/:name/tail on a real islet serve: real requests to real workers, read as a
// client reads the NDJSON stream.
import assert from 'node:assert/strict';
import { request, type ClientRequest, type IncomingMessage } from 'node:http';
import { after, before, test } from 'node:test';
import { eventually } from '../helpers/cli.js';
import { startTestServe, TOKEN, type TestServe } from '../helpers/serve.js';
import { LogLevel } from '../../src/shared/boundary.js';

const TAILED = `export default { async fetch(request, env, ctx) {
  const url = new URL(request.url);
  console.log('tailed saw', url.pathname);
  console.error('and complained');
  ctx.waitUntil(new Promise((r) => setTimeout(r, 20)).then(() => console.log('after the response')));
  if (url.pathname.endsWith('/throw')) throw new Error('tailed failed on purpose');
  return new Response('tailed');
} }`;
const OTHER = `export default { fetch() { console.log('other saw it'); return new Response('other'); } }`;

type Event = Record<string, unknown>;
interface Tail { status: number; events: Event[]; body: () => string; close(): void; response: IncomingMessage; req: ClientRequest }

let serve: TestServe;
const open: Tail[] = [];

before(async () => {
  serve = await startTestServe({ engines: 1 });
  assert.equal((await serve.deploy('tailed', TAILED)).status, 201);
  assert.equal((await serve.deploy('other', OTHER)).status, 201);
});
after(async () => {
  for (const tail of open) tail.close();
  await serve?.close();
});

function openTail(worker: string, query = '', token: string | null = TOKEN, read = true): Promise<Tail> {
  const url = new URL(`${serve.adminUrl}/api/v1/workers/${worker}/tail${query}`);
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: token === null ? {} : { authorization: `Bearer ${token}` }, agent: false }, (response) => {
      let text = '';
      const events: Event[] = [];
      if (read) {
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          text += chunk;
          for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n')) {
            events.push(JSON.parse(text.slice(0, nl)) as Event);
            text = text.slice(nl + 1);
          }
        });
      } else {
        response.pause();
      }
      response.on('error', () => {});
      const tail: Tail = { status: response.statusCode ?? 0, events, body: () => text, close: () => req.destroy(), response, req };
      open.push(tail);
      resolve(tail);
    });
    req.on('error', reject);
    req.end();
  });
}

const requests = (tail: Tail) => tail.events.filter((e) => e.type === 'request');

test('only the tailed worker\'s requests arrive, each with its console lines and exceptions', async () => {
  const tail = await openTail('tailed');
  assert.equal(tail.status, 200);
  assert.equal(tail.response.headers['content-type'], 'application/x-ndjson');
  assert.equal((await serve.get('/other/x', undefined, { 'x-trace-id': 'other-1' })).status, 200);
  assert.equal((await serve.get('/tailed/hello', undefined, { 'x-trace-id': 'tailed-1' })).status, 200);
  assert.equal((await serve.get('/tailed/throw', undefined, { 'x-trace-id': 'tailed-2' })).status, 500);
  await eventually(async () => requests(tail).length === 2 && tail.events.filter((e) => e.type === 'log').length === 2);
  tail.close();

  const [hello, thrown] = requests(tail);
  assert.equal(hello!.worker, 'tailed');
  assert.equal(hello!.traceId, 'tailed-1');
  assert.equal(hello!.method, 'GET');
  assert.equal(hello!.path, '/tailed/hello');
  assert.equal(hello!.status, 200);
  assert.equal(hello!.outcome, 'ok');
  assert.equal(hello!.version, 1);
  assert.deepEqual((hello!.logs as Event[]).map((l) => [l.level, l.message]), [['log', 'tailed saw /tailed/hello'], ['error', 'and complained']]);
  assert.ok((hello!.logs as Event[]).every((l) => !Number.isNaN(Date.parse(l.time as string))));
  assert.deepEqual(hello!.exceptions, []);

  assert.equal(thrown!.traceId, 'tailed-2');
  assert.equal(thrown!.outcome, 'exception');
  assert.equal(thrown!.status, 500);
  assert.equal((thrown!.exceptions as Event[]).length, 1);
  assert.match((thrown!.exceptions as Event[])[0]!.message as string, /tailed failed on purpose/);

  // Lines waitUntil logged after the response follow their request's event, with its trace id.
  const late = tail.events.filter((e) => e.type === 'log');
  assert.deepEqual(late.map((e) => [e.worker, e.traceId, e.level, e.message]).sort(), [
    ['tailed', 'tailed-1', 'log', 'after the response'], ['tailed', 'tailed-2', 'log', 'after the response'],
  ]);
  assert.ok(!tail.events.some((e) => e.worker === 'other'));
});

test('status, sampling and search are applied on the server', async () => {
  const all = await openTail('tailed');
  const errors = await openTail('tailed', '?status=error');
  const oks = await openTail('tailed', '?status=ok');
  const none = await openTail('tailed', '?sampling=0');
  const search = await openTail('tailed', '?search=' + encodeURIComponent('saw /tailed/needle'));
  for (const path of ['/tailed/a', '/tailed/throw', '/tailed/needle']) await serve.get(path);
  await eventually(async () => requests(all).length === 3 && requests(errors).length >= 1 && requests(oks).length >= 2 && requests(search).length >= 1);
  // The hub writes each event to every tail in one pass, so what the sampled-out tail would have had
  // is here by now too.
  assert.deepEqual(requests(errors).map((e) => e.path), ['/tailed/throw']);
  assert.deepEqual(requests(oks).map((e) => e.path), ['/tailed/a', '/tailed/needle']);
  assert.deepEqual(requests(none), []);
  assert.deepEqual(requests(search).map((e) => e.path), ['/tailed/needle']);
  for (const tail of [all, errors, oks, none, search]) tail.close();
});

test('the endpoint needs the token, an existing worker and valid filters', async () => {
  assert.equal((await openTail('tailed', '', null)).status, 401);
  assert.equal((await openTail('nobody')).status, 404);
  assert.equal((await openTail('tailed', '?sampling=2')).status, 400);
  assert.equal((await openTail('tailed', '?status=maybe')).status, 400);
});

test('tails are bounded, and a closed one frees its place', async () => {
  await eventually(async () => serve.running.tail.size === 0);
  const tails = [];
  for (let i = 0; i < 16; i++) tails.push(await openTail('other'));
  assert.ok(tails.every((t) => t.status === 200));
  const refused = await openTail('other');
  assert.equal(refused.status, 429);
  tails[0]!.close();
  await eventually(async () => serve.running.tail.size === 15);
  const again = await openTail('other');
  assert.equal(again.status, 200);
  for (const tail of [...tails, again]) tail.close();
  await eventually(async () => serve.running.tail.size === 0);
});

test('a client that does not read loses events instead of the server holding them, and is told how many', async () => {
  const slow = await openTail('other', '', TOKEN, false);
  assert.equal(slow.status, 200);
  // Events straight into the server's hub, each carrying a 64 KiB line: far more than the socket
  // buffers and the tail's 1 MiB bound can hold.
  const hub = serve.running.tail;
  const sink = hub.tee({ console() {}, workerError() {} });
  const big = 'x'.repeat(64 * 1024);
  const sent = 300;
  for (let i = 0; i < sent; i++) {
    sink.console('other', `flood-${i}`, LogLevel.Log, big);
    hub.request({
      worker: 'other', version: 1, status: 200, admitted: true, durationMs: 1, cpuMs: 0.1, coldStartMs: -1, memoryMb: 128,
      failure: null, traceId: `flood-${i}`, method: 'GET', url: 'http://example.test/flood',
    });
  }
  // Now read what made it, then one more event once the client has caught up.
  const events: Event[] = [];
  let text = '';
  slow.response.setEncoding('utf8');
  slow.response.on('data', (chunk: string) => {
    text += chunk;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n')) {
      events.push(JSON.parse(text.slice(0, nl)) as Event);
      text = text.slice(nl + 1);
    }
  });
  slow.response.resume();
  await eventually(async () => events.some((e) => e.type === 'dropped'));
  const dropped = events.find((e) => e.type === 'dropped')!;
  const delivered = events.filter((e) => e.type === 'request').length;
  assert.ok(typeof dropped.count === 'number' && dropped.count > 0);
  assert.ok(delivered < sent, `${delivered} of ${sent} delivered`);
  assert.equal(delivered + (dropped.count as number), sent);
  slow.close();
});

test('a cron run is tailed as the scheduled event it is, with its trigger and console lines', async () => {
  const CRON = `export default { async scheduled(controller) { console.log('ran ' + controller.cron); } }`;
  assert.equal((await serve.deploy('nightly', CRON, { config: { crons: ['0 3 * * *'] } })).status, 201);
  const tail = await openTail('nightly');
  const ran = await serve.admin('POST', '/workers/nightly/scheduled?cron=' + encodeURIComponent('0 3 * * *') + '&time=1767236400000');
  assert.equal(ran.status, 200);
  await eventually(async () => tail.events.some((e) => e.type === 'scheduled'));
  tail.close();
  const event = tail.events.find((e) => e.type === 'scheduled')!;
  // wrangler tail's scheduled event names the cron and its time; there is no URL to show.
  assert.equal(event.cron, '0 3 * * *');
  assert.equal(event.scheduledTime, 1767236400000);
  assert.equal(event.outcome, 'ok');
  assert.equal(event.worker, 'nightly');
  assert.ok(!('path' in event) && !('host' in event) && !('method' in event));
  assert.deepEqual((event.logs as { message: string }[]).map((l) => l.message), ['ran 0 3 * * *']);
});
