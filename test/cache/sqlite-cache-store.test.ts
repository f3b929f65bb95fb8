import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { CacheEntry } from '../../src/host/storage/cache/cache-store.js';
import { SqliteCacheStore } from '../../src/host/storage/cache/sqlite-cache-store.js';
import { cacheStoreContract } from './cache-store.contract.js';

const root = mkdtempSync(join(tmpdir(), 'islet-sqlite-cache-'));
after(() => rmSync(root, { recursive: true, force: true }));

let stores = 0;
const freshDir = (): string => join(root, `store-${++stores}`);

cacheStoreContract('SqliteCacheStore', (options) => new SqliteCacheStore(freshDir(), options));

const NOW = 1_700_000_000_000;
const entry = (body: string, more: Partial<CacheEntry> = {}): CacheEntry => ({
  status: 200, statusText: 'OK', headers: '', body: new TextEncoder().encode(body),
  storedAt: NOW, expiresAt: NOW + 3_600_000, initialAge: 0, ...more,
});

describe('SqliteCacheStore', () => {
  test('keeps entries in <dir>/cache.sqlite, readable by its owner only, across reopening', () => {
    const dir = freshDir();
    const first = new SqliteCacheStore(dir);
    assert.equal(first.path, join(dir, 'cache.sqlite'));
    first.put('t', '', 'https://example.com/', entry('kept'));
    first.close();
    assert.equal(statSync(join(dir, 'cache.sqlite')).mode & 0o777, 0o600);

    const second = new SqliteCacheStore(dir);
    try {
      assert.equal(Buffer.from(second.get('t', '', 'https://example.com/', NOW)!.body).toString(), 'kept');
    } finally {
      second.close();
    }
  });

  test('two stores on one file (two engines) share entries and one bound per partition', () => {
    const dir = freshDir();
    const a = new SqliteCacheStore(dir, { maxBytesPerPartition: 2_500 });
    const b = new SqliteCacheStore(dir, { maxBytesPerPartition: 2_500 });
    try {
      a.put('t', '', 'https://example.com/1', entry('1'.repeat(1000), { storedAt: NOW }));
      b.put('t', '', 'https://example.com/2', entry('2'.repeat(1000), { storedAt: NOW + 60_000 }));
      assert.ok(b.get('t', '', 'https://example.com/1', NOW + 60_000) !== null, 'b sees what a stored');
      assert.equal(a.usage('t'), b.usage('t'));
      // The third entry goes past the bound: the oldest, written by the other store, is evicted.
      a.put('t', '', 'https://example.com/3', entry('3'.repeat(1000), { storedAt: NOW + 120_000 }));
      assert.equal(b.get('t', '', 'https://example.com/1', NOW + 120_000), null);
      assert.ok(b.usage('t') <= 2_500);
    } finally {
      a.close();
      b.close();
    }
  });

  test('answers synchronously', () => {
    const store = new SqliteCacheStore(freshDir());
    try {
      assert.equal(store.put('t', '', 'https://example.com/', entry('v')), undefined);
      assert.ok(!(store.get('t', '', 'https://example.com/', NOW) instanceof Promise));
      assert.equal(typeof store.delete('t', '', 'https://example.com/', NOW), 'boolean');
    } finally {
      store.close();
    }
  });

  test('purges expired rows of every partition rather than keeping them forever', () => {
    const dir = freshDir();
    const store = new SqliteCacheStore(dir);
    for (let i = 0; i < 20; i++) store.put(`p${i}`, '', 'https://example.com/', entry('v', { expiresAt: NOW + 1000 }));
    // A put well after their expiry sweeps them.
    store.put('other', '', 'https://example.com/', entry('v', { storedAt: NOW + 3_600_000, expiresAt: NOW + 7_200_000 }));
    for (let i = 0; i < 20; i++) assert.equal(store.usage(`p${i}`), 0);
    store.close();
  });
});
