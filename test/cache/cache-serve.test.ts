// Under islet serve the cache belongs to the tenant: workers of one tenant share it, other tenants'
// workers never see it, and it survives a restart of the server. Engines run in their own processes
// and share <data>/cache.sqlite.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServe, type TestServe } from '../helpers/serve.js';

const WORKER = `export default { async fetch(request) {
  const url = new URL(request.url);
  const cache = url.searchParams.get('named') ? await caches.open('named') : caches.default;
  const key = 'https://cache.test/shared';
  if (url.pathname.endsWith('/put')) {
    await cache.put(key, new Response(url.searchParams.get('v'), { headers: { 'cache-control': 'max-age=600' } }));
    return new Response('stored');
  }
  const hit = await cache.match(key);
  return new Response(hit ? await hit.text() : 'miss', { headers: { 'x-status': hit ? hit.headers.get('cf-cache-status') : 'none' } });
} }`;

/** A put's write lands after the call that made it; polling keeps the test from depending on timing. */
async function until(read: () => Promise<string>, expected: string): Promise<string> {
  let last = '';
  for (let i = 0; i < 50; i++) {
    last = await read();
    if (last === expected) return last;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return last;
}

describe('Cache API under islet serve', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'islet-cache-serve-'));
  let serve: TestServe;
  before(async () => {
    serve = await startTestServe({ engines: 2 }, dataDir);
    for (const [name, tenant] of [['alpha', 'acme'], ['beta', 'acme'], ['gamma', 'globex']] as const) {
      const answer = await serve.deploy(name, WORKER, { tenant });
      assert.equal(answer.status, 201, JSON.stringify(answer.json));
    }
  });
  after(async () => {
    await serve.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const get = async (path: string) => (await serve.get(path)).body;

  test("a tenant's workers share its caches; another tenant's worker sees none of them", async () => {
    assert.equal(await get('/alpha/put?v=acme-value'), 'stored');
    assert.equal(await until(() => get('/beta/get'), 'acme-value'), 'acme-value', 'same tenant, other worker');
    assert.equal((await serve.get('/beta/get')).headers['x-status'], 'HIT');
    assert.equal(await get('/gamma/get'), 'miss', 'other tenant');
    assert.equal(await get('/gamma/put?v=globex-value'), 'stored');
    assert.equal(await until(() => get('/gamma/get'), 'globex-value'), 'globex-value');
    assert.equal(await get('/alpha/get'), 'acme-value', "the other tenant's put did not replace it");
    assert.equal(await get('/alpha/get?named=1'), 'miss', 'a named cache is not the default one');
  });

  test('entries survive a restart of the server', async () => {
    await serve.close();
    serve = await startTestServe({ engines: 1 }, dataDir);
    assert.equal(await get('/alpha/get'), 'acme-value');
    assert.equal(await get('/gamma/get'), 'globex-value');
  });
});
