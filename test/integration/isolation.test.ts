// Nothing of Node, and nothing of the bridge, is reachable from tenant code; workers share nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evalInWorker, startWorkers } from '../helpers/worker-server.js';

test('no Node globals and no host bridge inside the isolate', async () => {
  const result = await evalInWorker(`
    const names = Object.getOwnPropertyNames(globalThis);
    let escaped = 'no';
    try { escaped = String(({}).constructor.constructor('return typeof process')()); } catch (e) { escaped = 'threw'; }
    return {
      process: typeof process, require: typeof require, Buffer: typeof Buffer, module: typeof module,
      setImmediate: typeof setImmediate,
      bridgeNames: names.filter((n) => n.startsWith('__islet')),
      escaped,
    };
  `);
  assert.deepEqual(result, {
    process: 'undefined', require: 'undefined', Buffer: 'undefined', module: 'undefined', setImmediate: 'undefined',
    bridgeNames: [], escaped: 'undefined',
  });
});

test('two workers do not share global state', async () => {
  const code = `let hits = 0;
    export default { fetch() { hits++; globalThis.shared = (globalThis.shared ?? 0) + 1; return Response.json({ hits, shared: globalThis.shared }); } };`;
  const server = await startWorkers([{ name: 'a', code }, { name: 'b', code }]);
  try {
    for (let i = 0; i < 3; i++) await (await server.fetch('/a/')).text();
    // A worker's own global scope persists across its requests, as on Workers...
    assert.deepEqual(await (await server.fetch('/a/')).json(), { hits: 4, shared: 4 });
    // ...and is invisible to any other worker.
    assert.deepEqual(await (await server.fetch('/b/')).json(), { hits: 1, shared: 1 });
  } finally {
    await server.close();
  }
});

test('requests to one worker run concurrently in its isolate', async () => {
  const server = await startWorkers([{ name: 'slow', code: `
    let active = 0, peak = 0;
    export default { async fetch() {
      active++; peak = Math.max(peak, active);
      await new Promise((r) => setTimeout(r, 50));
      active--;
      return Response.json({ peak });
    } };` }]);
  try {
    const replies = await Promise.all(Array.from({ length: 5 }, () => server.fetch('/').then((r) => r.json() as Promise<{ peak: number }>)));
    assert.ok(Math.max(...replies.map((r) => r.peak)) > 1, 'requests interleave at awaits instead of queueing');
  } finally {
    await server.close();
  }
});

test('module top-level code can use the Web APIs that need no request', async () => {
  const server = await startWorkers([{ name: 'top', code: `
    const base = new URL('https://example.com/api/');
    const route = new URLPattern({ pathname: '/users/:id' });
    const bytes = crypto.getRandomValues(new Uint8Array(4));
    const encoded = new TextEncoder().encode('x'.repeat(1000)).length;
    console.log('module loaded');
    export default { fetch(request) {
      const match = route.exec(request.url);
      return Response.json({ base: base.href, id: match?.pathname.groups.id ?? null, random: bytes.length, encoded });
    } };` }]);
  try {
    assert.deepEqual(await (await server.fetch('/users/42')).json(), { base: 'https://example.com/api/', id: '42', random: 4, encoded: 1000 });
    assert.ok(server.logs.lines.some((l) => l.message === 'module loaded'));
  } finally {
    await server.close();
  }
});
