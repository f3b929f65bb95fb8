// WebAssembly memories live outside the V8 heap, so an isolate's memory limit does not see them: the
// engine process's resident memory is watched instead, and an engine past [pool] engine_memory_mb is
// killed with the code running in it blamed, before the machine runs out of memory.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultServeConfig } from '../../src/host/platform/serve-config.js';
import { startTestServe } from '../helpers/serve.js';

// Each memory is 128 MiB (the per-memory cap), and filling it makes it resident: 40 of them would be 5 GiB.
const HOARDER = `export default { async fetch(request) {
  if (new URL(request.url).pathname.endsWith('/small')) return new Response('small');
  const held = [];
  for (let i = 0; i < 40; i++) { const memory = new WebAssembly.Memory({ initial: 2048 }); new Uint8Array(memory.buffer).fill(1); held.push(memory); }
  return new Response('held ' + held.length * 128 + ' MiB');
} }`;

test('an engine holding more than [pool] engine_memory_mb is killed and the running worker blamed; others answer', { timeout: 60_000 }, async () => {
  const serve = await startTestServe({ engines: 1, pool: { ...defaultServeConfig('').pool, spares: 1, engineMemoryMb: 512 } });
  try {
    assert.equal((await serve.deploy('calm', `export default { fetch() { return new Response('calm'); } }`)).status, 201);
    assert.equal((await serve.deploy('hoarder', HOARDER, { config: { limits: { cpuMs: 20_000 } } })).status, 201);
    assert.equal((await serve.get('/hoarder/small')).body, 'small', 'a request that holds little is served');
    const hoarded = await serve.get('/hoarder/');
    assert.equal(hoarded.status, 502, `the engine was killed before 5 GiB were held: ${hoarded.body}`);
    assert.ok(serve.logs.lines.some((l) => l.worker === 'hoarder' && /over the 512 MB engine limit/.test(l.message)),
      `the hoarder is blamed: ${JSON.stringify(serve.logs.lines.map((l) => l.message))}`);
    assert.equal((await serve.get('/calm/')).body, 'calm', 'a new engine serves the neighbour');
  } finally {
    await serve.close();
  }
});
