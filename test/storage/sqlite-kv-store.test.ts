import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SqliteKvStore } from '../../src/host/storage/kv/sqlite-kv-store.js';
import { kvStoreContract } from './kv-store.contract.js';

const root = mkdtempSync(join(tmpdir(), 'islet-sqlite-kv-'));
after(() => rmSync(root, { recursive: true, force: true }));

let stores = 0;
const freshDir = (): string => join(root, `store-${++stores}`);

kvStoreContract('SqliteKvStore', () => new SqliteKvStore(freshDir()));

const NOW = 1_700_000_000;
const value = (text: string) => new TextEncoder().encode(text);

describe('SqliteKvStore', () => {
  test('keeps entries in <dir>/kv.sqlite across reopening', () => {
    const dir = freshDir();
    const first = new SqliteKvStore(dir);
    assert.equal(first.path, join(dir, 'kv.sqlite'));
    first.put('ns', 'k', { value: value('v'), expiration: NOW + 600, metadata: '{"m":true}' });
    first.close();

    const second = new SqliteKvStore(dir);
    try {
      const got = second.get('ns', 'k', NOW);
      assert.equal(Buffer.from(got!.value).toString(), 'v');
      assert.equal(got?.expiration, NOW + 600);
      assert.equal(got?.metadata, '{"m":true}');
    } finally {
      second.close();
    }
  });

  test('answers synchronously', () => {
    const store = new SqliteKvStore(freshDir());
    try {
      assert.equal(store.put('ns', 'k', { value: value('v'), expiration: null, metadata: null }), undefined);
      assert.ok(!(store.get('ns', 'k', NOW) instanceof Promise));
      assert.ok(!(store.list('ns', { prefix: '', limit: 1, cursor: null }, NOW) instanceof Promise));
    } finally {
      store.close();
    }
  });

  test('refuses a cursor it did not issue', () => {
    const store = new SqliteKvStore(freshDir());
    try {
      assert.throws(() => store.list('ns', { prefix: '', limit: 1, cursor: 'not-a-cursor' }, NOW));
    } finally {
      store.close();
    }
  });

  test('a putMany or deleteMany that fails part-way leaves nothing of it behind', () => {
    const store = new SqliteKvStore(freshDir());
    try {
      store.put('ns', 'kept', { value: value('old'), expiration: null, metadata: null });
      const unbindable = { value: {} as Uint8Array, expiration: null, metadata: null };
      assert.throws(() => store.putMany('ns', [
        { key: 'kept', entry: { value: value('new'), expiration: null, metadata: null } },
        { key: 'a', entry: { value: value('a'), expiration: null, metadata: null } },
        { key: 'b', entry: unbindable },
      ]));
      assert.equal(Buffer.from(store.get('ns', 'kept', NOW)!.value).toString(), 'old');
      assert.equal(store.get('ns', 'a', NOW), null);
      assert.throws(() => store.deleteMany('ns', ['kept', undefined as unknown as string]));
      assert.notEqual(store.get('ns', 'kept', NOW), null);
      // The store is usable afterwards: no transaction was left open.
      store.putMany('ns', [{ key: 'a', entry: { value: value('a'), expiration: null, metadata: null } }]);
      assert.equal(Buffer.from(store.get('ns', 'a', NOW)!.value).toString(), 'a');
    } finally {
      store.close();
    }
  });

  test('purges expired rows rather than keeping them forever', () => {
    const dir = freshDir();
    const store = new SqliteKvStore(dir);
    for (let i = 0; i < 50; i++) {
      store.put('ns', `k${i}`, { value: value('v'), expiration: NOW + 60, metadata: null });
    }
    store.put('ns', 'kept', { value: value('v'), expiration: null, metadata: null });
    // A read well after the expiry triggers the sweep.
    store.list('ns', { prefix: '', limit: 1, cursor: null }, NOW + 3600);
    store.close();

    // Reading at an earlier time would show any row the sweep left behind.
    const reopened = new SqliteKvStore(dir);
    try {
      const listed = reopened.list('ns', { prefix: '', limit: 1000, cursor: null }, NOW);
      assert.deepEqual(
        listed.keys.map((k) => k.name),
        ['kept'],
      );
    } finally {
      reopened.close();
    }
  });

  test('every acknowledged put survives SIGKILL of the writer', { timeout: 60_000 }, async () => {
    const dir = freshDir();
    const writer = fileURLToPath(new URL('../fixtures/kv-crash-writer.ts', import.meta.url));
    const child = spawn(process.execPath, ['--no-node-snapshot', '--import', 'tsx', writer, dir, 'crash-ns'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });

    const killAfter = 300;
    let buffered = '';
    let acknowledged = -1;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) acknowledged = Math.max(acknowledged, Number(line));
      if (acknowledged >= killAfter && child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
      }
    });
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
      child.on('close', (c, s) => resolve([c, s])),
    );
    assert.equal(signal, 'SIGKILL', `writer exited with code ${code} before being killed`);
    assert.ok(acknowledged >= killAfter);

    const store = new SqliteKvStore(dir);
    try {
      for (let i = 0; i <= acknowledged; i++) {
        const got = store.get('crash-ns', `key-${i}`, NOW);
        assert.ok(got !== null, `acknowledged key-${i} is missing after the crash`);
        assert.equal(Buffer.from(got.value).toString(), `value-${i}`);
        assert.equal(got.metadata, JSON.stringify({ i }));
      }
    } finally {
      store.close();
    }
  });
});
