// Service bindings under islet serve: two workers in different engine processes (engines: 2), the call
// routed engine -> supervisor -> the target's deployment -> its engine, bodies streamed both ways.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { engineSlot } from '../../src/host/engines/supervisor.js';
import { startTestServe, type TestServe } from '../helpers/serve.js';

// The caller: /echo streams a body through the callee and back; /trace shows the callee's trace id;
// /spin calls the callee's CPU loop; /missing uses a binding to a worker nobody deployed.
const CALLER = `export default { async fetch(request, env) {
  const url = new URL(request.url);
  const route = url.pathname.split('/').pop();
  if (route === 'echo') {
    let sent = 0;
    const body = new ReadableStream({ pull(c) {
      if (sent === 8) { c.close(); return; }
      c.enqueue(new TextEncoder().encode('chunk' + sent++ + ';'));
    } });
    const res = await env.CALLEE.fetch('https://callee.internal/echo', { method: 'POST', body, duplex: 'half' });
    let pieces = 0, text = '';
    const reader = res.body.getReader(), dec = new TextDecoder();
    for (;;) { const { done, value } = await reader.read(); if (done) break; pieces++; text += dec.decode(value, { stream: true }); }
    return Response.json({ status: res.status, text, pieces });
  }
  if (route === 'trace') return env.CALLEE.fetch('https://callee.internal/trace');
  if (route === 'spin') {
    const res = await env.CALLEE.fetch('https://callee.internal/spin');
    return Response.json({ status: res.status, text: await res.text(), callerFine: true });
  }
  if (route === 'missing') {
    try { await env.NOBODY.fetch('https://x/'); return new Response('reached'); }
    catch (e) { return Response.json({ name: e.name, message: e.message }, { status: 502 }); }
  }
  if (route === 'other-tenant') {
    try { await env.CALLEE.fetch('https://x/'); return new Response('reached'); }
    catch (e) { return Response.json({ name: e.name, message: e.message }, { status: 502 }); }
  }
  return new Response('caller');
} }`;

const CALLEE = `export default { async fetch(request) {
  const route = new URL(request.url).pathname;
  if (route === '/echo') {
    // Answers as it reads: each request chunk goes back as its own response chunk, upper-cased.
    const reader = request.body.getReader();
    const out = new ReadableStream({ async pull(c) {
      const { done, value } = await reader.read();
      if (done) c.close(); else c.enqueue(new TextEncoder().encode(new TextDecoder().decode(value).toUpperCase()));
    } });
    return new Response(out);
  }
  if (route === '/trace') {
    console.log('callee ran');
    return Response.json({ trace: request.headers.get('x-trace-id'), host: request.headers.get('host'), via: request.headers.get('x-islet-via') });
  }
  if (route === '/spin') { for (;;) {} }
  return new Response('callee');
} }`;

/** Deploys `name`, which must land in `slot`: a worker's versions all run in the engine its name hashes to. */
async function deployToSlot(serve: TestServe, name: string, code: string, slot: number, extra: Record<string, unknown>): Promise<void> {
  for (let i = 0; i < 20; i++) {
    const answer = await serve.deploy(name, code, extra);
    assert.equal(answer.status, 201, JSON.stringify(answer.json));
    if (engineSlot(name, 2) === slot) return;
  }
  assert.fail(`no version of ${name} landed in engine ${slot}`);
}

describe('service bindings in islet serve (two engines)', () => {
  let serve: TestServe;
  before(async () => {
    serve = await startTestServe({ engines: 2 });
    await deployToSlot(serve, 'callee', CALLEE, 1, { tenant: 'acme', config: { limits: { cpuMs: 30 } } });
    await deployToSlot(serve, 'caller', CALLER, 0, {
      tenant: 'acme',
      config: { services: [{ binding: 'CALLEE', service: 'callee' }, { binding: 'NOBODY', service: 'nobody' }], limits: { cpuMs: 2000 } },
    });
  });
  after(() => serve.close());

  test('the callee streams a streamed request body back, chunk by chunk, across engines', async () => {
    const res = await fetch(`${serve.url}/caller/echo`);
    const json = await res.json() as { status: number; text: string; pieces: number };
    assert.equal(res.status, 200);
    assert.equal(json.status, 200);
    assert.equal(json.text, 'CHUNK0;CHUNK1;CHUNK2;CHUNK3;CHUNK4;CHUNK5;CHUNK6;CHUNK7;');
    // Eight request chunks came back as more than one response chunk: the body was not gathered into one.
    assert.ok(json.pieces > 1, `pieces: ${json.pieces}`);
  });

  test('the callee runs under the caller\'s trace id: its console lines carry it', async () => {
    const res = await fetch(`${serve.url}/caller/trace`, { headers: { 'x-trace-id': 'trace-through-binding' } });
    assert.equal(res.status, 200);
    const json = await res.json() as { trace: string | null; host: string; via: string | null };
    assert.equal(res.headers.get('x-trace-id'), 'trace-through-binding');
    assert.equal(json.host, 'callee.internal');
    // The hop count is the host's, not a header the callee can read or forge.
    assert.equal(json.via, null);
    const line = serve.logs.lines.find((l) => l.worker === 'callee' && l.message === 'callee ran');
    assert.equal(line?.traceId, 'trace-through-binding');
  });

  test('the callee\'s own CPU limit stops it; the caller gets the error and carries on', async () => {
    const res = await fetch(`${serve.url}/caller/spin`);
    assert.equal(res.status, 200);
    const json = await res.json() as { status: number; text: string; callerFine: boolean };
    assert.equal(json.status, 503);
    assert.equal(json.text, 'Worker exceeded its CPU time limit.\n');
    assert.equal(json.callerFine, true);
    const again = await fetch(`${serve.url}/caller/`);
    assert.equal(await again.text(), 'caller');
  });

  test('a binding to a worker that is not deployed fails at call time with a TypeError', async () => {
    const res = await fetch(`${serve.url}/caller/missing`);
    const json = await res.json() as { name: string; message: string };
    assert.equal(res.status, 502);
    assert.equal(json.name, 'TypeError');
    assert.match(json.message, /env\.NOBODY is bound to worker "nobody", which is not deployed/);
  });

  test('the deploy warned about the missing target', async () => {
    const answer = await serve.deploy('caller2', CALLER, { tenant: 'acme', config: { services: [{ binding: 'NOBODY', service: 'nobody' }] } });
    assert.equal(answer.status, 201);
    assert.match(answer.json.warnings.join('\n'), /worker "nobody" is not deployed yet/);
  });
});

describe('service binding loops', () => {
  let serve: TestServe;
  before(async () => { serve = await startTestServe({ engines: 0 }); });
  after(() => serve.close());

  test('A -> B -> A -> ... stops at the 16-invocation chain limit with an error in the last caller', async () => {
    // Each worker calls the other and reports how deep the chain went; the innermost call fails.
    const pingPong = (other: string) => `export default { async fetch(request, env) {
      try {
        const res = await env.OTHER.fetch('https://${other}/');
        const inner = await res.json();
        return Response.json({ depth: inner.depth + 1, error: inner.error });
      } catch (e) { return Response.json({ depth: 1, error: e.message }); }
    } }`;
    const config = (other: string) => ({ tenant: 'loop', config: { services: [{ binding: 'OTHER', service: other }], limits: { cpuMs: 1000 } } });
    assert.equal((await serve.deploy('ping', pingPong('pong'), config('pong'))).status, 201);
    assert.equal((await serve.deploy('pong', pingPong('ping'), config('ping'))).status, 201);
    const res = await fetch(`${serve.url}/ping/`);
    const json = await res.json() as { depth: number; error: string };
    assert.equal(json.depth, 16);
    assert.match(json.error, /^Loop Detected: .*at most 16 invocations/);
  });
});

describe('service bindings and tenancy', () => {
  let serve: TestServe;
  before(async () => { serve = await startTestServe({ engines: 0 }); });
  after(() => serve.close());

  test('binding a worker of another tenant is refused at deploy', async () => {
    assert.equal((await serve.deploy('theirs', CALLEE, { tenant: 'globex' })).status, 201);
    const answer = await serve.deploy('mine', CALLER, { tenant: 'acme', config: { services: [{ binding: 'CALLEE', service: 'theirs' }] } });
    assert.equal(answer.status, 409);
    assert.match(answer.json.error.message, /belongs to another tenant/);
  });

  test('a target deployed later under another tenant is refused at call time, with the same answer as a missing one', async () => {
    const answer = await serve.deploy('mine', CALLER, { tenant: 'acme', config: { services: [{ binding: 'CALLEE', service: 'later' }] } });
    assert.equal(answer.status, 201);
    assert.equal((await serve.deploy('later', CALLEE, { tenant: 'globex' })).status, 201);
    const res = await fetch(`${serve.url}/mine/other-tenant`);
    const json = await res.json() as { name: string; message: string };
    assert.equal(json.name, 'TypeError');
    assert.match(json.message, /which is not deployed for this worker's tenant/);
  });
});
