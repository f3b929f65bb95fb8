import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { entrySize, type CacheEntry, type CacheStore } from '../../src/host/storage/cache/cache-store.js';

const NOW = 1_700_000_000_000;
const MINUTE = 60_000;
const T = 'tenant-a';
const DEFAULT = '';
const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
const entry = (body: string | Uint8Array, more: Partial<CacheEntry> = {}): CacheEntry => ({
  status: 200,
  statusText: 'OK',
  headers: 'content-type:text/plain',
  body: typeof body === 'string' ? utf8(body) : body,
  storedAt: NOW,
  expiresAt: NOW + 3_600_000,
  initialAge: 0,
  ...more,
});
const text = (got: CacheEntry | null): string | null => (got === null ? null : Buffer.from(got.body).toString('utf8'));

export interface StoreFactoryOptions {
  /** The partition bound; the store's default when absent. */
  maxBytesPerPartition?: number;
}

/**
 * Behaviour every CacheStore backend must share. `makeStore` returns a fresh, empty store each time;
 * the contract closes it after each test.
 */
export function cacheStoreContract(name: string, makeStore: (options: StoreFactoryOptions) => CacheStore | Promise<CacheStore>): void {
  describe(`CacheStore contract: ${name}`, () => {
    const withStore = (title: string, body: (store: CacheStore) => Promise<void>, options: StoreFactoryOptions = {}) =>
      test(title, async () => {
        const store = await makeStore(options);
        try {
          await body(store);
        } finally {
          store.close();
        }
      });

    withStore('put then get returns the entry as stored', async (store) => {
      const every = Uint8Array.from({ length: 256 }, (_, i) => i);
      const stored = entry(every, { status: 404, statusText: 'Not Here', headers: 'etag:"x"\nset-cookie:a=1\nset-cookie:b=2', initialAge: 7 });
      await store.put(T, DEFAULT, 'https://example.com/a', stored);
      const got = await store.get(T, DEFAULT, 'https://example.com/a', NOW + 1000);
      assert.ok(got !== null);
      assert.deepEqual([...got.body], [...every]);
      assert.equal(got.status, 404);
      assert.equal(got.statusText, 'Not Here');
      assert.equal(got.headers, 'etag:"x"\nset-cookie:a=1\nset-cookie:b=2');
      assert.equal(got.storedAt, NOW);
      assert.equal(got.expiresAt, NOW + 3_600_000);
      assert.equal(got.initialAge, 7);
    });

    withStore('an empty body round-trips as zero bytes', async (store) => {
      await store.put(T, DEFAULT, 'https://example.com/empty', entry(new Uint8Array(0)));
      assert.equal((await store.get(T, DEFAULT, 'https://example.com/empty', NOW))?.body.byteLength, 0);
    });

    withStore('an entry is gone from the moment it expires', async (store) => {
      await store.put(T, DEFAULT, 'https://example.com/a', entry('v', { expiresAt: NOW + 1000 }));
      assert.equal(text(await store.get(T, DEFAULT, 'https://example.com/a', NOW + 999)), 'v');
      assert.equal(await store.get(T, DEFAULT, 'https://example.com/a', NOW + 1000), null);
      // Also when asked again at an earlier time: an expired entry read once may be purged.
      assert.ok([null, 'v'].includes(text(await store.get(T, DEFAULT, 'https://example.com/a', NOW))));
    });

    withStore('partitions, caches and URLs are separate keys', async (store) => {
      await store.put(T, DEFAULT, 'https://example.com/a', entry('default'));
      await store.put(T, '/named', 'https://example.com/a', entry('named'));
      await store.put('tenant-b', DEFAULT, 'https://example.com/a', entry('other tenant'));
      assert.equal(text(await store.get(T, DEFAULT, 'https://example.com/a', NOW)), 'default');
      assert.equal(text(await store.get(T, '/named', 'https://example.com/a', NOW)), 'named');
      assert.equal(text(await store.get('tenant-b', DEFAULT, 'https://example.com/a', NOW)), 'other tenant');
      assert.equal(await store.get(T, DEFAULT, 'https://example.com/a?', NOW), null);
      assert.equal(await store.get(T, '/other', 'https://example.com/a', NOW), null);
    });

    withStore('put replaces an entry whole', async (store) => {
      await store.put(T, DEFAULT, 'https://example.com/a', entry('first', { headers: 'etag:"1"', expiresAt: NOW + 5000 }));
      await store.put(T, DEFAULT, 'https://example.com/a', entry('second', { status: 201, headers: 'x-b:2' }));
      const got = await store.get(T, DEFAULT, 'https://example.com/a', NOW + 10_000);
      assert.equal(text(got), 'second');
      assert.equal(got?.status, 201);
      assert.equal(got?.headers, 'x-b:2');
    });

    withStore('delete says whether a fresh entry was there', async (store) => {
      await store.put(T, DEFAULT, 'https://example.com/a', entry('v'));
      await store.put(T, DEFAULT, 'https://example.com/old', entry('v', { expiresAt: NOW + 10 }));
      assert.equal(await store.delete(T, DEFAULT, 'https://example.com/a', NOW), true);
      assert.equal(await store.delete(T, DEFAULT, 'https://example.com/a', NOW), false);
      assert.equal(await store.get(T, DEFAULT, 'https://example.com/a', NOW), null);
      assert.equal(await store.delete(T, DEFAULT, 'https://example.com/old', NOW + 10), false);
      assert.equal(await store.delete(T, DEFAULT, 'https://example.com/never', NOW), false);
    });

    withStore('usage counts each entry once, and follows replaces and deletes', async (store) => {
      const a = entry('aaaa');
      const b = entry('bbbbbbbbbb');
      await store.put(T, DEFAULT, 'https://example.com/a', a);
      await store.put(T, DEFAULT, 'https://example.com/b', b);
      assert.equal(await store.usage(T), entrySize('https://example.com/a', a) + entrySize('https://example.com/b', b));
      const bigger = entry('a'.repeat(100));
      await store.put(T, DEFAULT, 'https://example.com/a', bigger);
      assert.equal(await store.usage(T), entrySize('https://example.com/a', bigger) + entrySize('https://example.com/b', b));
      await store.delete(T, DEFAULT, 'https://example.com/b', NOW);
      assert.equal(await store.usage(T), entrySize('https://example.com/a', bigger));
      assert.equal(await store.usage('nobody'), 0);
    });

    // Each entry below takes 1,000 bytes of body plus ~60 of key and headers; the bound holds three.
    const KB = (fill: string) => fill.repeat(1000);
    const bound = { maxBytesPerPartition: 3_300 };

    withStore('past its bound a partition evicts its least recently used entries', async (store) => {
      await store.put(T, DEFAULT, 'https://example.com/1', entry(KB('1'), { storedAt: NOW }));
      await store.put(T, DEFAULT, 'https://example.com/2', entry(KB('2'), { storedAt: NOW + MINUTE }));
      await store.put(T, DEFAULT, 'https://example.com/3', entry(KB('3'), { storedAt: NOW + 2 * MINUTE }));
      // Reading 1 makes it the most recently used; 2 is now the least.
      assert.equal(text(await store.get(T, DEFAULT, 'https://example.com/1', NOW + 3 * MINUTE))?.[0], '1');
      await store.put(T, DEFAULT, 'https://example.com/4', entry(KB('4'), { storedAt: NOW + 4 * MINUTE }));
      const later = NOW + 5 * MINUTE;
      assert.equal(await store.get(T, DEFAULT, 'https://example.com/2', later), null, 'the least recently used entry was evicted');
      for (const kept of ['1', '3', '4']) assert.ok(await store.get(T, DEFAULT, `https://example.com/${kept}`, later) !== null, `entry ${kept} kept`);
      assert.ok((await store.usage(T)) <= bound.maxBytesPerPartition);
    }, bound);

    withStore('eviction takes expired entries before live ones', async (store) => {
      await store.put(T, DEFAULT, 'https://example.com/live-old', entry(KB('a'), { storedAt: NOW }));
      await store.put(T, DEFAULT, 'https://example.com/expiring', entry(KB('b'), { storedAt: NOW + MINUTE, expiresAt: NOW + 2 * MINUTE }));
      await store.put(T, DEFAULT, 'https://example.com/live', entry(KB('c'), { storedAt: NOW + 2 * MINUTE }));
      await store.put(T, DEFAULT, 'https://example.com/new', entry(KB('d'), { storedAt: NOW + 3 * MINUTE }));
      assert.ok(await store.get(T, DEFAULT, 'https://example.com/live-old', NOW + 3 * MINUTE) !== null);
      assert.ok(await store.get(T, DEFAULT, 'https://example.com/new', NOW + 3 * MINUTE) !== null);
    }, bound);

    withStore("one partition's eviction leaves the others alone", async (store) => {
      await store.put('quiet', DEFAULT, 'https://example.com/q', entry(KB('q'), { storedAt: NOW }));
      for (let i = 0; i < 6; i++) await store.put(T, DEFAULT, `https://example.com/${i}`, entry(KB(String(i)), { storedAt: NOW + i * MINUTE }));
      assert.ok(await store.get('quiet', DEFAULT, 'https://example.com/q', NOW + 10 * MINUTE) !== null);
      assert.ok((await store.usage(T)) <= bound.maxBytesPerPartition);
    }, bound);

    withStore('an entry larger than the whole bound is not stored, and evicts nothing', async (store) => {
      await store.put(T, DEFAULT, 'https://example.com/small', entry('s'));
      await store.put(T, DEFAULT, 'https://example.com/huge', entry('h'.repeat(4_000)));
      assert.equal(await store.get(T, DEFAULT, 'https://example.com/huge', NOW), null);
      assert.equal(text(await store.get(T, DEFAULT, 'https://example.com/small', NOW)), 's');
    }, bound);
  });
}
