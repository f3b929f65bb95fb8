// `islet kv key ...` as wrangler prints it, on the local state `islet dev` uses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { ISLET, makeProject, runIslet } from '../helpers/cli.js';

const CONFIG = 'name = "kvtest"\nmain = "index.js"\n\n[[kv_namespaces]]\nbinding = "STORE"\nid = "store-ns"\n\n[[kv_namespaces]]\nbinding = "OTHER"\nid = "other-ns"\n';

test('put, get, list and delete round-trip through local state', () => {
  const dir = makeProject({ 'wrangler.toml': CONFIG, 'index.js': 'export default { fetch() { return new Response() } }' });
  const kv = (...args: string[]) => runIslet(['kv', 'key', ...args, '--local'], dir);
  try {
    assert.equal(kv('put', 'b', 'two', '--binding', 'STORE').code, 0);
    assert.equal(kv('put', 'a', 'one', '--binding', 'STORE', '--metadata', '{"v":1}').code, 0);
    writeFileSync(join(dir, 'value.bin'), Buffer.from([0, 1, 2, 255]));
    assert.equal(kv('put', 'bin', '--path', join(dir, 'value.bin'), '--binding', 'STORE').code, 0);

    assert.equal(kv('get', 'a', '--binding', 'STORE').stdout, 'one');
    // `get` prints the raw bytes, not a text rendering of them.
    const raw = spawnSync(ISLET, ['kv', 'key', 'get', 'bin', '--binding', 'STORE', '--local'], { cwd: dir });
    assert.deepEqual([...raw.stdout], [0, 1, 2, 255]);

    const listed = JSON.parse(kv('list', '--binding', 'STORE').stdout) as { name: string; metadata?: unknown }[];
    // Byte order, and metadata as written; wrangler prints the keys as a JSON array.
    assert.deepEqual(listed.map((k) => k.name), ['a', 'b', 'bin']);
    assert.deepEqual(listed[0]!.metadata, { v: 1 });
    assert.deepEqual(JSON.parse(kv('list', '--binding', 'STORE', '--prefix', 'b').stdout).map((k: { name: string }) => k.name), ['b', 'bin']);

    // Namespaces are separate.
    assert.deepEqual(JSON.parse(kv('list', '--binding', 'OTHER').stdout), []);

    assert.equal(kv('delete', 'a', '--binding', 'STORE').code, 0);
    const missing = kv('get', 'a', '--binding', 'STORE');
    assert.equal(missing.code, 1);
    assert.match(missing.stdout, /Value not found/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('limits are enforced with the Workers error text, and bad usage says what to do', () => {
  const dir = makeProject({ 'wrangler.toml': CONFIG, 'index.js': '' });
  try {
    const longKey = runIslet(['kv', 'key', 'put', 'k'.repeat(513), 'v', '--binding', 'STORE', '--local'], dir);
    assert.equal(longKey.code, 1);
    assert.match(longKey.stderr, /KV PUT failed: 414 UTF-8 encoded length of 513 exceeds key length limit of 512\./);
    const ttl = runIslet(['kv', 'key', 'put', 'k', 'v', '--ttl', '30', '--binding', 'STORE', '--local'], dir);
    assert.equal(ttl.code, 1);
    assert.match(ttl.stderr, /Invalid expiration_ttl of 30/);
    const unknown = runIslet(['kv', 'key', 'get', 'k', '--binding', 'NOPE', '--local'], dir);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /No KV binding named "NOPE".*bindings: STORE, OTHER/);
    const notLocal = runIslet(['kv', 'key', 'get', 'k', '--binding', 'STORE'], dir);
    assert.equal(notLocal.code, 1);
    assert.match(notLocal.stderr, /--local/);
    assert.equal(JSON.parse(runIslet(['kv', 'key', 'list', '--binding', 'STORE', '--local'], dir).stdout).length, 0, 'nothing stored');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('argument mistakes are refused with a clear message; help needs no namespace', () => {
  const dir = makeProject({ 'wrangler.toml': CONFIG, 'index.js': '' });
  try {
    const help = runIslet(['kv', 'key', '--help'], dir);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /islet kv key <command>/);
    const ttl = runIslet(['kv', 'key', 'put', 'k', 'v', '--ttl', 'abc', '--binding', 'STORE', '--local'], dir);
    assert.equal(ttl.code, 1);
    assert.match(ttl.stderr, /--ttl expects a whole number of seconds, got "abc"/);
    const both = runIslet(['kv', 'key', 'put', 'k', 'v', '--path', 'index.js', '--binding', 'STORE', '--local'], dir);
    assert.equal(both.code, 1);
    assert.match(both.stderr, /either as an argument or with --path, not both/);
    const extra = runIslet(['kv', 'key', 'get', 'k', 'again', '--binding', 'STORE', '--local'], dir);
    assert.equal(extra.code, 1);
    assert.match(extra.stderr, /Too many arguments/);
    assert.equal(JSON.parse(runIslet(['kv', 'key', 'list', '--binding', 'STORE', '--local'], dir).stdout).length, 0, 'nothing stored');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
