// What one tenant can and cannot reach: KV namespaces scoped by tenant, write-only secrets, and state
// that outlives a restart of the server.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { test } from 'node:test';
import { startTestServe } from '../helpers/serve.js';

// Writes ?v= under key k and reads it back, in namespace binding DATA.
const KV_WORKER = `export default { async fetch(request, env) {
  const url = new URL(request.url);
  if (url.searchParams.has('v')) await env.DATA.put('k', url.searchParams.get('v'));
  return new Response(String(await env.DATA.get('k')));
} }`;

test('the same namespace id is shared within a tenant and invisible to another tenant', async () => {
  const serve = await startTestServe();
  try {
    const ns = { config: { kvNamespaces: [{ binding: 'DATA', id: 'shared-id' }] } };
    assert.equal((await serve.deploy('a-one', KV_WORKER, { ...ns, tenant: 'acme' })).status, 201);
    assert.equal((await serve.deploy('a-two', KV_WORKER, { ...ns, tenant: 'acme' })).status, 201);
    assert.equal((await serve.deploy('b-one', KV_WORKER, { ...ns, tenant: 'globex' })).status, 201);

    assert.equal((await serve.get('/a-one/?v=acme-secret')).body, 'acme-secret');
    assert.equal((await serve.get('/a-two/')).body, 'acme-secret', 'a worker of the same tenant sees the namespace');
    assert.equal((await serve.get('/b-one/')).body, 'null', 'another tenant with the same id sees nothing');
    assert.equal((await serve.get('/b-one/?v=globex-data')).body, 'globex-data');
    assert.equal((await serve.get('/a-one/')).body, 'acme-secret', 'and cannot overwrite it');

    // The admin API addresses KV through the worker that binds it, so it is scoped the same way.
    const viaAdmin = await serve.admin('GET', '/workers/b-one/kv/DATA/values/k');
    assert.equal(viaAdmin.json, 'globex-data');
    assert.equal((await serve.admin('GET', '/workers/b-one/kv/OTHER/keys')).status, 404);
    // A tenant is fixed by the first deploy: moving a worker to another tenant's data is refused.
    const hijack = await serve.deploy('b-one', KV_WORKER, { ...ns, tenant: 'acme' });
    assert.equal(hijack.status, 409);
    assert.equal((await serve.get('/b-one/')).body, 'globex-data');
  } finally {
    await serve.close();
  }
});

test('a new worker named like another worker\'s tenant does not join it unless the tenant is named', async () => {
  const serve = await startTestServe();
  try {
    const ns = { config: { kvNamespaces: [{ binding: 'DATA', id: 'ledger' }] } };
    assert.equal((await serve.deploy('billing-api', KV_WORKER, { ...ns, tenant: 'billing' })).status, 201);
    assert.equal((await serve.get('/billing-api/?v=invoices')).body, 'invoices');

    const implicit = await serve.deploy('billing', KV_WORKER, ns);
    assert.equal(implicit.status, 409);
    assert.match(implicit.json.error.message, /tenant "billing" already exists \(workers: billing-api\)/);
    assert.match(implicit.json.error.message, /--tenant billing/);
    assert.equal((await serve.admin('GET', '/workers/billing')).status, 404, 'no worker was created');
    assert.equal((await serve.get('/billing/')).status, 404);

    const joined = await serve.deploy('billing', KV_WORKER, { ...ns, tenant: 'billing' });
    assert.equal(joined.status, 201, JSON.stringify(joined.json));
    assert.equal((await serve.get('/billing/')).body, 'invoices', 'named explicitly, it shares the tenant\'s data');
  } finally {
    await serve.close();
  }
});

test('secrets reach env, cannot take a var\'s name (nor a var a secret\'s), and are never returned by the API', async () => {
  const serve = await startTestServe();
  try {
    const code = `export default { fetch(r, env) { return new Response(env.API_KEY + '/' + env.MODE); } }`;
    await serve.deploy('vault', code, { config: { vars: { MODE: 'prod' } } });
    assert.equal((await serve.get('/vault/')).body, 'undefined/prod');
    assert.equal((await serve.admin('PUT', '/workers/vault/secrets/API_KEY', { value: 's3cr3t-value' })).status, 200);
    assert.equal((await serve.get('/vault/')).body, 's3cr3t-value/prod', 'the next request sees the secret');
    // Cloudflare refuses a binding name already in use (10053) rather than let one hide the other.
    const overVar = await serve.admin('PUT', '/workers/vault/secrets/MODE', { value: 'dev' });
    assert.equal(overVar.status, 409);
    assert.match(overVar.json.error.message, /secret "MODE": the worker already has a var of that name/);
    const varOverSecret = await serve.deploy('vault', code, { config: { vars: { MODE: 'prod', API_KEY: 'from-vars' } } });
    assert.equal(varOverSecret.status, 409);
    assert.match(varOverSecret.json.error.message, /var "API_KEY" has the name of one of the worker's secrets/);
    assert.equal((await serve.get('/vault/')).body, 's3cr3t-value/prod', 'neither request changed anything');
    const listed = await serve.admin('GET', '/workers/vault/secrets');
    assert.deepEqual(listed.json, { secrets: [{ name: 'API_KEY' }] });
    const everything = JSON.stringify([await serve.admin('GET', '/workers/vault'), await serve.admin('GET', '/workers/vault/versions'), await serve.admin('GET', '/workers')]);
    assert.doesNotMatch(everything, /s3cr3t-value/);
    assert.equal((await serve.admin('DELETE', '/workers/vault/secrets/API_KEY')).status, 200);
    assert.equal((await serve.get('/vault/')).body, 'undefined/prod');
    assert.equal((await serve.admin('DELETE', '/workers/vault/secrets/API_KEY')).status, 404);
  } finally {
    await serve.close();
  }
});

test('deployments, versions, routes, secrets and KV are served again after a restart', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'islet-restart-'));
  try {
    const first = await startTestServe({ engines: 2 }, dataDir);
    await first.deploy('keeper', KV_WORKER, { config: { kvNamespaces: [{ binding: 'DATA', id: 'n' }], routes: ['keep.example.com/*'] } });
    await first.deploy('keeper', KV_WORKER.replace('String(await', `'v2:' + String(await`), { config: { kvNamespaces: [{ binding: 'DATA', id: 'n' }], routes: ['keep.example.com/*'] } });
    assert.equal((await first.get('/?v=kept', 'keep.example.com')).body, 'v2:kept');
    await first.close();

    const second = await startTestServe({ engines: 2 }, dataDir);
    try {
      assert.equal((await second.get('/', 'keep.example.com')).body, 'v2:kept');
      const versions = await second.admin('GET', '/workers/keeper/versions');
      assert.deepEqual(versions.json.versions.map((v: { number: number }) => v.number), [2, 1]);
      await second.admin('POST', '/workers/keeper/rollback', {});
      assert.equal((await second.get('/', 'keep.example.com')).body, 'kept');
    } finally {
      await second.close();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('the admin API takes KV keys as sent, so "." and ".." get KV\'s own refusal, and a key may hold slashes', async () => {
  const serve = await startTestServe({ engines: 0 });
  try {
    await serve.deploy('store', KV_WORKER, { config: { kvNamespaces: [{ binding: 'DATA', id: 'n' }] } });
    // Sent as raw paths: fetch() would resolve "%2E" and ".." as dot segments before sending.
    for (const key of ['%2E', '%2E%2E', '..']) {
      const put = await rawPut(serve.adminUrl, `/api/v1/workers/store/kv/DATA/values/${key}`, 'x');
      assert.equal(put.status, 400, key);
      assert.match(put.body, /is not allowed as a key name/, key);
    }
    // Cloudflare: key names cannot be empty. KV says so, rather than the endpoint being unknown.
    for (const method of ['GET', 'PUT', 'DELETE']) {
      const empty = await serve.admin(method, '/workers/store/kv/DATA/values/', method === 'PUT' ? 'x' : undefined);
      assert.equal(empty.status, 400, method);
      assert.equal(empty.json.error.message, 'Key name cannot be empty.', method);
    }
    const nested = await fetch(`${serve.adminUrl}/api/v1/workers/store/kv/DATA/values/a%2Fb/c`, { method: 'PUT', headers: { authorization: 'Bearer test-admin-token-0123456789' }, body: 'deep' });
    assert.equal(nested.status, 200);
    const listed = await serve.admin('GET', '/workers/store/kv/DATA/keys');
    assert.deepEqual(listed.json.keys.map((k: { name: string }) => k.name), ['a/b/c']);
  } finally {
    await serve.close();
  }
});

function rawPut(base: string, path: string, body: string): Promise<{ status: number; body: string }> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method: 'PUT', path, headers: { authorization: 'Bearer test-admin-token-0123456789' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
