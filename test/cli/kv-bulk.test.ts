// `islet kv bulk put|delete` through the real launcher, as wrangler's `kv bulk` commands: on local state
// (read back from the same SQLite file islet dev uses) and on a real islet serve run in this process
// (read back through its admin API and the deployed worker).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { KvBinding } from '../../src/host/bindings/kv/kv-binding.js';
import { SqliteKvStore } from '../../src/host/storage/kv/sqlite-kv-store.js';
import { ISLET, makeProject } from '../helpers/cli.js';
import { startTestServe, TOKEN, type TestServe } from '../helpers/serve.js';

const CONFIG = 'name = "bulk"\nmain = "index.js"\n\n[[kv_namespaces]]\nbinding = "STORE"\nid = "store-ns"\n';

interface Expected { key: string; bytes: Buffer; metadata: unknown; ttl?: number; expiration?: number }

/**
 * `count` entries in wrangler's format, of every kind: text (multi-byte and control characters, empty),
 * binary values as base64, metadata, expiration_ttl and expiration, multi-byte keys and a key of
 * exactly 512 bytes, and some values of 1 MiB so batches are also cut by size.
 */
function fixture(count: number, nowSeconds: number): { items: Record<string, unknown>[]; expected: Expected[] } {
  const items: Record<string, unknown>[] = [];
  const expected: Expected[] = [];
  for (let i = 0; i < count; i++) {
    const key = i === 7 ? 'k'.repeat(512) : i % 13 === 0 ? `ключ/${i}/😀` : `key:${String(i).padStart(5, '0')}`;
    const item: Record<string, unknown> = { key };
    const want: Expected = { key, bytes: Buffer.alloc(0), metadata: null };
    if (i % 3 === 1) {
      want.bytes = i % 1000 === 1 ? randomBytes(1024 * 1024) : randomBytes(1 + (i % 64));
      item['value'] = want.bytes.toString('base64');
      item['base64'] = true;
    } else {
      const text = i % 17 === 0 ? '' : i % 19 === 0 ? `tab\there\u0000nul "quoted" ${i}` : `välue ${i}`;
      item['value'] = text;
      want.bytes = Buffer.from(text, 'utf8');
    }
    if (i % 5 === 0) { item['metadata'] = { i, tags: ['a', 'é'] }; want.metadata = item['metadata']; }
    if (i % 7 === 0) { item['expiration_ttl'] = 3600; want.ttl = 3600; }
    else if (i % 11 === 0) { item['expiration'] = nowSeconds + 7200; want.expiration = nowSeconds + 7200; }
    items.push(item);
    expected.push(want);
  }
  return { items, expected };
}

interface Run { code: number | null; stdout: string; stderr: string }

/** Runs bin/islet without blocking this process, which may be the server the command talks to. */
function islet(args: string[], cwd: string): Promise<Run> {
  const env = { ...process.env };
  delete env['ISLET_SERVER'];
  delete env['ISLET_ADMIN_TOKEN'];
  const child = spawn(ISLET, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The progress lines a non-terminal stderr gets: one per batch after a first 0%, ending at the total. */
function assertProgress(stderr: string, verb: string, total: number, minBatches: number): void {
  const lines = stderr.split('\n').filter((line) => line.startsWith(`${verb} `));
  const done = lines.map((line) => {
    const match = new RegExp(`^${verb} (\\d+)% \\(([\\d,]+) out of ([\\d,]+)\\)$`).exec(line);
    assert.ok(match !== null, `progress line "${line}"`);
    const count = Number(match[2]!.replaceAll(',', ''));
    assert.equal(Number(match[3]!.replaceAll(',', '')), total);
    assert.equal(Number(match[1]), Math.floor((100 * count) / total));
    return count;
  });
  assert.equal(done[0], 0);
  assert.equal(done.at(-1), total);
  assert.ok(done.length >= minBatches + 1, `${done.length - 1} batches`);
  for (let i = 1; i < done.length; i++) {
    assert.ok(done[i]! > done[i - 1]!, 'progress only moves forward');
    assert.ok(done[i]! - done[i - 1]! <= 1000, 'a batch is at most 1,000 keys');
  }
}

function assertExpiration(want: Expected, got: number | null | undefined, from: number, to: number): void {
  if (want.ttl !== undefined) assert.ok(got !== null && got !== undefined && got >= from + want.ttl && got <= to + want.ttl, `${want.key}: expiration ${got}`);
  else assert.equal(got ?? null, want.expiration ?? null, want.key);
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

describe('kv bulk with --local', () => {
  let dir: string;
  before(() => { dir = makeProject({ 'wrangler.toml': CONFIG, 'index.js': '' }); });
  after(() => rmSync(dir, { recursive: true, force: true }));
  const readLocal = <T>(read: (binding: KvBinding) => T): T => {
    const store = new SqliteKvStore(join(dir, '.islet'));
    try { return read(new KvBinding(store, 'store-ns')); } finally { store.close(); }
  };

  test('put writes every entry exactly, with progress and a summary; delete removes the keys listed', async () => {
    const from = nowSeconds();
    const { items, expected } = fixture(12_000, from);
    writeFileSync(join(dir, 'bulk.json'), JSON.stringify(items));
    const put = await islet(['kv', 'bulk', 'put', 'bulk.json', '--binding', 'STORE', '--local'], dir);
    const to = nowSeconds();
    assert.equal(put.code, 0, put.stderr);
    assertProgress(put.stderr, 'Uploaded', 12_000, 12);
    assert.match(put.stderr, /^Success! Wrote 12,000 keys to namespace store-ns in [\d.]+ m?s\.$/m);

    readLocal((binding) => {
      for (const want of expected) {
        const got = binding.get(want.key, undefined) as ReturnType<SqliteKvStore['get']>;
        assert.ok(got !== null, `${want.key} was written`);
        assert.ok(Buffer.from(got.value).equals(want.bytes), `${want.key}: value`);
        assert.deepEqual(got.metadata === null ? null : JSON.parse(got.metadata), want.metadata, `${want.key}: metadata`);
        assertExpiration(want, got.expiration, from, to);
      }
    });
    // What `kv key` then reads is the same.
    const raw = await islet(['kv', 'key', 'get', expected[1]!.key, '--binding', 'STORE', '--local'], dir);
    assert.equal(raw.code, 0);
    assert.equal(raw.stdout.length > 0, true);

    // Delete takes key strings and {"name"} objects, as `kv key list` prints them.
    const list = await islet(['kv', 'key', 'list', '--binding', 'STORE', '--local'], dir);
    const listed = JSON.parse(list.stdout) as { name: string }[];
    assert.equal(listed.length, 12_000);
    const doomed = [...expected.slice(0, 3_000).map((e) => e.key), ...listed.filter((k) => !expected.slice(0, 3_000).some((e) => e.key === k.name)).slice(0, 3_000)];
    writeFileSync(join(dir, 'delete.json'), JSON.stringify(doomed));
    const removed = await islet(['kv', 'bulk', 'delete', 'delete.json', '--binding', 'STORE', '--local'], dir);
    assert.equal(removed.code, 0, removed.stderr);
    assertProgress(removed.stderr, 'Deleted', 6_000, 6);
    assert.match(removed.stderr, /^Success! Deleted 6,000 keys from namespace store-ns in [\d.]+ m?s\.$/m);
    const gone = new Set(doomed.map((k) => (typeof k === 'string' ? k : k.name)));
    readLocal((binding) => {
      for (const want of expected) assert.equal(binding.get(want.key, undefined) === null, gone.has(want.key), want.key);
    });
  });

  test('a malformed file writes nothing and names what is wrong', async () => {
    const project = makeProject({ 'wrangler.toml': CONFIG.replace('store-ns', 'empty-ns'), 'index.js': '' });
    try {
      const valid = (n: number) => Array.from({ length: n }, (_, i) => ({ key: `ok-${i}`, value: 'v' }));
      const cases: [string, string, RegExp[]][] = [
        ['bad-json.json', '[{"key": "a", "value": "b"},', [/^✘ bad-json\.json is not valid JSON \(.+\); nothing was written\.$/m]],
        ['not-array.json', '{"key": "a", "value": "b"}', [/Expected a JSON array of \{"key", "value"\} objects/]],
        ['no-value.json', JSON.stringify([...valid(2_500), { key: 'lonely' }]), [
          /^✘ no-value\.json: 1 item of 2501 cannot be written, so nothing was written:$/m,
          /^ {2}item at index 2500 \(key "lonely"\): "value" is missing$/m,
        ]],
        ['long-key.json', JSON.stringify([...valid(1_500), { key: 'x'.repeat(513), value: 'v' }, { key: 'y', value: 'v', expiration_ttl: 10 }]), [
          /^ {2}item at index 1500 \(key "x{40}\.\.\.\(513 bytes\)"\): KV PUT failed: 414 UTF-8 encoded length of 513 exceeds key length limit of 512\.$/m,
          /^ {2}item at index 1501 \(key "y"\): KV PUT failed: 400 Invalid expiration_ttl of 10\. Expiration TTL must be at least 60\.$/m,
        ]],
      ];
      for (const [file, content, messages] of cases) {
        writeFileSync(join(project, file), content);
        const run = await islet(['kv', 'bulk', 'put', file, '--binding', 'STORE', '--local'], project);
        assert.equal(run.code, 1, file);
        for (const message of messages) assert.match(run.stderr, message, file);
        assert.doesNotMatch(run.stderr, /Uploaded/, 'no batch was started');
      }
      const keys = await islet(['kv', 'key', 'list', '--binding', 'STORE', '--local'], project);
      assert.deepEqual(JSON.parse(keys.stdout), [], 'nothing was written');

      writeFileSync(join(project, 'delete.json'), JSON.stringify(['a', 7]));
      const del = await islet(['kv', 'bulk', 'delete', 'delete.json', '--binding', 'STORE', '--local'], project);
      assert.equal(del.code, 1);
      assert.match(del.stderr, /item at index 1: expected a key string or a \{"name": key\} object, got 7/);
      const missing = await islet(['kv', 'bulk', 'put', 'nope.json', '--binding', 'STORE', '--local'], project);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /Cannot read nope\.json/);
      const flag = await islet(['kv', 'bulk', 'put', 'delete.json', '--ttl', '60', '--binding', 'STORE', '--local'], project);
      assert.equal(flag.code, 1);
      assert.match(flag.stderr, /--ttl/);
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  });
});

// Reads a key as the worker sees it: its bytes (as base64) and metadata.
const READER = `export default { async fetch(request, env) {
  const key = new URL(request.url).searchParams.get('key');
  const { value, metadata } = await env.DATA.getWithMetadata(key, 'arrayBuffer');
  if (value === null) return Response.json(null);
  let binary = '';
  for (const byte of new Uint8Array(value)) binary += String.fromCharCode(byte);
  return Response.json({ value: btoa(binary), metadata });
} }`;

describe('kv bulk with --server, on islet serve', () => {
  let serve: TestServe;
  let dir: string;
  before(async () => {
    serve = await startTestServe();
    const deployed = await serve.deploy('store', READER, { config: { kvNamespaces: [{ binding: 'DATA', id: 'data-ns' }] } });
    assert.equal(deployed.status, 201, JSON.stringify(deployed.json));
    dir = makeProject({});
  });
  after(async () => {
    await serve?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });
  const server = () => ['--binding', 'DATA', '--name', 'store', '--server', serve.adminUrl, '--token', TOKEN];

  async function listAll(): Promise<{ name: string; expiration?: number; metadata?: unknown }[]> {
    const keys: { name: string; expiration?: number; metadata?: unknown }[] = [];
    let cursor: string | undefined;
    do {
      const page = await serve.admin('GET', `/workers/store/kv/DATA/keys${cursor === undefined ? '' : `?cursor=${encodeURIComponent(cursor)}`}`);
      assert.equal(page.status, 200);
      keys.push(...page.json.keys);
      cursor = page.json.list_complete ? undefined : page.json.cursor;
    } while (cursor !== undefined);
    return keys;
  }

  async function valueOf(key: string): Promise<Buffer | null> {
    const res = await fetch(`${serve.adminUrl}/api/v1/workers/store/kv/DATA/values/${encodeURIComponent(key)}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    if (res.status === 404) return null;
    assert.equal(res.status, 200);
    return Buffer.from(await res.arrayBuffer());
  }

  test('put sends the file in batches; every value, metadata and expiration arrives; delete removes them', async () => {
    const from = nowSeconds();
    const { items, expected } = fixture(12_000, from);
    writeFileSync(join(dir, 'bulk.json'), JSON.stringify(items));
    const put = await islet(['kv', 'bulk', 'put', 'bulk.json', ...server()], dir);
    const to = nowSeconds();
    assert.equal(put.code, 0, put.stderr);
    assertProgress(put.stderr, 'Uploaded', 12_000, 12);
    assert.match(put.stderr, new RegExp(`^Success! Wrote 12,000 keys to binding DATA of store on ${serve.adminUrl} in [\\d.]+ m?s\\.$`, 'm'));

    const listed = new Map((await listAll()).map((k) => [k.name, k]));
    assert.equal(listed.size, 12_000);
    for (const want of expected) {
      const key = listed.get(want.key);
      assert.ok(key !== undefined, `${want.key} is listed`);
      assert.deepEqual(key.metadata ?? null, want.metadata, `${want.key}: metadata`);
      assertExpiration(want, key.expiration, from, to);
    }
    const queue = [...expected];
    await Promise.all(Array.from({ length: 16 }, async () => {
      for (let want = queue.pop(); want !== undefined; want = queue.pop()) {
        const bytes = await valueOf(want.key);
        assert.ok(bytes !== null && bytes.equals(want.bytes), `${want.key}: value`);
      }
    }));
    // The worker reads what was written, bytes and metadata alike.
    for (const want of [expected[4]!, expected[5]!, expected[13]!]) {
      const seen = JSON.parse((await serve.get(`/store/?key=${encodeURIComponent(want.key)}`)).body) as { value: string; metadata: unknown };
      assert.ok(Buffer.from(seen.value, 'base64').equals(want.bytes), want.key);
      assert.deepEqual(seen.metadata, want.metadata);
    }

    const doomed = expected.filter((_, i) => i % 2 === 0).map((e) => e.key);
    writeFileSync(join(dir, 'delete.json'), JSON.stringify(doomed));
    const removed = await islet(['kv', 'bulk', 'delete', 'delete.json', ...server()], dir);
    assert.equal(removed.code, 0, removed.stderr);
    assertProgress(removed.stderr, 'Deleted', 6_000, 6);
    assert.match(removed.stderr, /^Success! Deleted 6,000 keys from binding DATA of store/m);
    const left = (await listAll()).map((k) => k.name).sort();
    assert.deepEqual(left, expected.filter((_, i) => i % 2 === 1).map((e) => e.key).sort());
  });

  test('a file with a wrong entry sends nothing', async () => {
    writeFileSync(join(dir, 'bad.json'), JSON.stringify([{ key: 'fresh', value: 'v' }, { key: 'fresh2', value: 'v', metadata: { pad: 'x'.repeat(2000) } }]));
    const run = await islet(['kv', 'bulk', 'put', 'bad.json', ...server()], dir);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /item at index 1 \(key "fresh2"\): KV PUT failed: 413 Metadata length of \d+ exceeds limit of 1024\./);
    assert.equal(await valueOf('fresh'), null);
  });

  test('the bulk endpoints check a whole request before writing any of it', async () => {
    const refused = await serve.admin('PUT', '/workers/store/kv/DATA/bulk', [{ key: 'b1', value: 'v' }, { key: 'b2', value: 'v', expiration_ttl: 5 }]);
    assert.equal(refused.status, 400);
    assert.equal(refused.json.error.code, 'invalid_request');
    assert.match(refused.json.error.message, /item at index 1 \(key "b2"\): KV PUT failed: 400 Invalid expiration_ttl of 5\./);
    assert.equal(await valueOf('b1'), null);

    const many = Array.from({ length: 10_001 }, (_, i) => ({ key: `m${i}`, value: 'v' }));
    const tooMany = await serve.admin('PUT', '/workers/store/kv/DATA/bulk', many);
    assert.equal(tooMany.status, 413);
    assert.match(tooMany.json.error.message, /at most 10000 items/);

    const written = await serve.admin('PUT', '/workers/store/kv/DATA/bulk', [{ key: 'b1', value: 'aGk=', base64: true, metadata: { m: 1 } }]);
    assert.equal(written.status, 200);
    assert.deepEqual(written.json, { successful_key_count: 1, unsuccessful_keys: [] });
    assert.equal((await valueOf('b1'))?.toString(), 'hi');

    // Cloudflare's bulk delete takes key strings only.
    const named = await serve.admin('POST', '/workers/store/kv/DATA/bulk/delete', [{ name: 'b1' }]);
    assert.equal(named.status, 400);
    const deleted = await serve.admin('POST', '/workers/store/kv/DATA/bulk/delete', ['b1', 'never-there']);
    assert.deepEqual(deleted.json, { successful_key_count: 2, unsuccessful_keys: [] });
    assert.equal(await valueOf('b1'), null);
    assert.equal((await serve.admin('PUT', '/workers/store/kv/NOPE/bulk', [])).status, 404);
  });
});

test('a batch the server refuses stops the command, saying what was written and what to do', async () => {
  // A stand-in admin API that takes the first batch and refuses the second, as islet serve answers.
  const bodies: unknown[][] = [];
  const stub = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString()) as unknown[];
      bodies.push(body);
      res.setHeader('content-type', 'application/json');
      if (bodies.length === 1) { res.end(JSON.stringify({ successful_key_count: body.length, unsuccessful_keys: [] })); return; }
      res.statusCode = 404;
      res.end(JSON.stringify({ error: { code: 'not_found', message: 'worker "store" has no deployment' } }));
    });
  });
  await new Promise<void>((resolve) => stub.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(stub.address() as { port: number }).port}`;
  const dir = makeProject({ 'bulk.json': JSON.stringify(Array.from({ length: 3_500 }, (_, i) => ({ key: `k${i}`, value: 'v' }))) });
  try {
    const run = await islet(['kv', 'bulk', 'put', 'bulk.json', '--binding', 'DATA', '--name', 'store', '--server', url, '--token', TOKEN], dir);
    assert.equal(run.code, 1);
    assert.equal(bodies.length, 2, 'nothing is sent after the refused batch');
    assert.equal(bodies[0]!.length, 1_000);
    assert.match(run.stderr, /^Uploaded 28% \(1,000 out of 3,500\)$/m);
    assert.match(run.stderr, new RegExp(`Writing items 1,000 to 1,999 of bulk\\.json to binding DATA of store on ${url} failed: worker "store" has no deployment`));
    assert.match(run.stderr, /^Items 0 to 999 \(1,000 keys\) were written; none of this batch was \(a batch is written whole or not at all\); nothing after it was\.$/m);
    assert.match(run.stderr, /run the same command again/);
  } finally {
    stub.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
