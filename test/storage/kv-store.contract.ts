import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { KvEntry, KvListKey, KvListResult, KvStore } from '../../src/host/storage/kv/kv-store.js';

const NOW = 1_700_000_000;
const NS = 'namespace-a';
const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
const entry = (value: string | Uint8Array, more: Partial<KvEntry> = {}): KvEntry => ({
  value: typeof value === 'string' ? utf8(value) : value,
  expiration: null,
  metadata: null,
  ...more,
});
// Workers KV documents list order as "lexicographically sorted order according
// to their UTF-8 bytes", which differs from JS string (UTF-16) order.
const byteOrder = (keys: string[]): string[] =>
  [...keys].sort((a, b) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));

async function listAll(
  store: KvStore,
  namespace: string,
  prefix: string,
  limit: number,
  now = NOW,
): Promise<{ names: string[]; pages: KvListResult[] }> {
  const names: string[] = [];
  const pages: KvListResult[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 10_000; page++) {
    const result: KvListResult = await store.list(namespace, { prefix, limit, cursor }, now);
    pages.push(result);
    assert.ok(result.keys.length <= limit, 'a page never exceeds the limit');
    names.push(...result.keys.map((k) => k.name));
    if (result.list_complete) {
      assert.equal('cursor' in result, false, 'a complete listing carries no cursor');
      return { names, pages };
    }
    assert.equal(typeof result.cursor, 'string', 'an incomplete listing carries a cursor');
    cursor = result.cursor ?? null;
  }
  assert.fail('listing never completed');
}

/**
 * Behaviour every KvStore backend must share. `makeStore` returns a fresh,
 * empty store each time; the contract closes it after each test.
 */
export function kvStoreContract(name: string, makeStore: () => KvStore | Promise<KvStore>): void {
  describe(`KvStore contract: ${name}`, () => {
    const withStore = (title: string, body: (store: KvStore) => Promise<void>) =>
      test(title, async () => {
        const store = await makeStore();
        try {
          await body(store);
        } finally {
          store.close();
        }
      });

    withStore('put then get returns the same bytes', async (store) => {
      const every = Uint8Array.from({ length: 256 }, (_, i) => i);
      await store.put(NS, 'bytes', entry(every));
      await store.put(NS, 'empty', entry(new Uint8Array(0)));
      const got = await store.get(NS, 'bytes', NOW);
      assert.deepEqual(got && [...got.value], [...every]);
      assert.equal(got?.expiration, null);
      assert.equal(got?.metadata, null);
      const empty = await store.get(NS, 'empty', NOW);
      assert.equal(empty?.value.byteLength, 0);
    });

    withStore('a missing key reads as null', async (store) => {
      assert.equal(await store.get(NS, 'nope', NOW), null);
    });

    withStore('the store keeps its own copy of the value', async (store) => {
      const value = utf8('original');
      await store.put(NS, 'k', entry(value));
      value.fill(0);
      const got = await store.get(NS, 'k', NOW);
      assert.equal(Buffer.from(got!.value).toString('utf8'), 'original');
    });

    withStore('metadata round-trips as text through get and parsed through list', async (store) => {
      const metadata = JSON.stringify({ role: 'admin', n: 1, nested: { é: ['😀'] } });
      await store.put(NS, 'k', entry('v', { metadata, expiration: NOW + 3600 }));
      const got = await store.get(NS, 'k', NOW);
      assert.equal(got?.metadata, metadata);
      assert.equal(got?.expiration, NOW + 3600);
      const listed = await store.list(NS, { prefix: '', limit: 10, cursor: null }, NOW);
      assert.deepEqual(listed.keys, [
        { name: 'k', expiration: NOW + 3600, metadata: { role: 'admin', n: 1, nested: { é: ['😀'] } } },
      ]);
    });

    withStore('list omits expiration and metadata a key does not have', async (store) => {
      await store.put(NS, 'plain', entry('v'));
      const listed = await store.list(NS, { prefix: '', limit: 10, cursor: null }, NOW);
      assert.deepEqual(listed.keys, [{ name: 'plain' }]);
      const [key] = listed.keys as [KvListKey];
      assert.equal('expiration' in key || 'metadata' in key, false);
    });

    withStore('overwriting replaces value, metadata and expiration', async (store) => {
      await store.put(NS, 'k', entry('first', { metadata: '{"a":1}', expiration: NOW + 100 }));
      await store.put(NS, 'k', entry('second'));
      const got = await store.get(NS, 'k', NOW);
      assert.equal(Buffer.from(got!.value).toString('utf8'), 'second');
      assert.equal(got?.metadata, null);
      assert.equal(got?.expiration, null);
      const listed = await store.list(NS, { prefix: '', limit: 10, cursor: null }, NOW);
      assert.deepEqual(listed.keys, [{ name: 'k' }]);
    });

    withStore('delete removes a key, and deleting a missing key is fine', async (store) => {
      await store.put(NS, 'k', entry('v'));
      await store.delete(NS, 'k');
      await store.delete(NS, 'never-there');
      assert.equal(await store.get(NS, 'k', NOW), null);
      const listed = await store.list(NS, { prefix: '', limit: 10, cursor: null }, NOW);
      assert.deepEqual(listed, { keys: [], list_complete: true });
    });

    withStore('an entry is visible before its expiration and gone from it on', async (store) => {
      await store.put(NS, 'soon', entry('v', { expiration: NOW + 60 }));
      await store.put(NS, 'later', entry('v', { expiration: NOW + 120 }));
      await store.put(NS, 'never', entry('v'));

      assert.notEqual(await store.get(NS, 'soon', NOW + 59), null);
      const before = await store.list(NS, { prefix: '', limit: 10, cursor: null }, NOW + 59);
      assert.deepEqual(
        before.keys.map((k) => k.name),
        ['later', 'never', 'soon'],
      );

      assert.equal(await store.get(NS, 'soon', NOW + 60), null);
      const after = await store.list(NS, { prefix: '', limit: 10, cursor: null }, NOW + 60);
      assert.deepEqual(after.keys, [{ name: 'later', expiration: NOW + 120 }, { name: 'never' }]);
      assert.equal(after.list_complete, true);
    });

    withStore('expired entries do not count toward a page', async (store) => {
      for (const k of ['a', 'b', 'c', 'd', 'e', 'f']) {
        const expiration = k === 'b' || k === 'd' ? NOW + 60 : null;
        await store.put(NS, k, entry(k, { expiration }));
      }
      const { names } = await listAll(store, NS, '', 2, NOW + 61);
      assert.deepEqual(names, ['a', 'c', 'e', 'f']);
    });

    withStore('list orders keys by their UTF-8 bytes', async (store) => {
      // U+E000 and U+FFFD sort before U+1F600 in UTF-16 but after it in UTF-8.
      const keys = ['z', 'a', 'B', 'é', '😀', '\uE000', '\uFFFD', 'ab', 'a b', 'aa', 'A', '0'];
      for (const k of keys) await store.put(NS, k, entry(k));
      const listed = await store.list(NS, { prefix: '', limit: 1000, cursor: null }, NOW);
      assert.deepEqual(
        listed.keys.map((k) => k.name),
        ['0', 'A', 'B', 'a', 'a b', 'aa', 'ab', 'z', 'é', '\uE000', '\uFFFD', '😀'],
      );
      assert.deepEqual(
        listed.keys.map((k) => k.name),
        byteOrder(keys),
      );
      assert.equal(listed.list_complete, true);
    });

    withStore('list filters by prefix, including multi-byte prefixes', async (store) => {
      const keys = [
        'use',
        'user:1:a',
        'user:1:b',
        'user:10',
        'user:2',
        'user;',
        'é',
        'éa',
        'ê',
        '\u00BF',
        '\u00BFx',
        '\u00C0',
      ];
      for (const k of keys) await store.put(NS, k, entry(k));
      const names = async (prefix: string) =>
        (await store.list(NS, { prefix, limit: 1000, cursor: null }, NOW)).keys.map((k) => k.name);
      // "0" is 0x30 and ":" is 0x3A, so "user:10" sorts first.
      assert.deepEqual(await names('user:1'), ['user:10', 'user:1:a', 'user:1:b']);
      assert.deepEqual(await names('user:1:'), ['user:1:a', 'user:1:b']);
      assert.deepEqual(await names('é'), ['é', 'éa']);
      assert.deepEqual(await names('\u00BF'), ['\u00BF', '\u00BFx']);
      assert.deepEqual(await names('nothing'), []);
    });

    withStore('pagination visits every key exactly once, in order', async (store) => {
      const keys = Array.from({ length: 23 }, (_, i) => (i % 3 === 0 ? `é${i}` : i % 3 === 1 ? `k${i}` : `😀${i}`));
      for (const k of keys) await store.put(NS, k, entry(k));
      for (const limit of [1, 5, 7, 23, 1000]) {
        const { names, pages } = await listAll(store, NS, '', limit);
        assert.deepEqual(names, byteOrder(keys), `limit ${limit}`);
        for (const page of pages.slice(0, -1)) assert.equal(page.keys.length, limit);
      }
    });

    withStore('pagination keeps to the prefix', async (store) => {
      const inside = Array.from({ length: 11 }, (_, i) => `p/${String(i).padStart(2, '0')}`);
      for (const k of [...inside, 'p', 'o/1', 'q/1', 'p0']) await store.put(NS, k, entry(k));
      const { names } = await listAll(store, NS, 'p/', 3);
      assert.deepEqual(names, inside);
    });

    withStore('a cursor resumes after its key even if that key is deleted', async (store) => {
      for (const k of ['a', 'b', 'c', 'd']) await store.put(NS, k, entry(k));
      const first = await store.list(NS, { prefix: '', limit: 2, cursor: null }, NOW);
      assert.deepEqual(
        first.keys.map((k) => k.name),
        ['a', 'b'],
      );
      await store.delete(NS, 'b');
      const second = await store.list(NS, { prefix: '', limit: 2, cursor: first.cursor ?? null }, NOW);
      assert.deepEqual(
        second.keys.map((k) => k.name),
        ['c', 'd'],
      );
    });

    withStore('namespaces are isolated from each other', async (store) => {
      await store.put('ns', 'shared', entry('in ns'));
      await store.put('ns2', 'shared', entry('in ns2'));
      await store.put('ns2', 'only-ns2', entry('x'));
      assert.equal(Buffer.from((await store.get('ns', 'shared', NOW))!.value).toString(), 'in ns');
      assert.equal(Buffer.from((await store.get('ns2', 'shared', NOW))!.value).toString(), 'in ns2');
      assert.equal(await store.get('ns', 'only-ns2', NOW), null);
      const inNs = await store.list('ns', { prefix: '', limit: 1000, cursor: null }, NOW);
      assert.deepEqual(
        inNs.keys.map((k) => k.name),
        ['shared'],
      );
      await store.delete('ns', 'shared');
      assert.notEqual(await store.get('ns2', 'shared', NOW), null);
      const inNs2 = await store.list('ns2', { prefix: '', limit: 1000, cursor: null }, NOW);
      assert.deepEqual(
        inNs2.keys.map((k) => k.name),
        ['only-ns2', 'shared'],
      );
    });

    // putMany and deleteMany are optional; a backend that has them must apply a whole call.
    withStore('putMany writes every entry in order, a later write of a key winning', async (store) => {
      if (store.putMany === undefined) return;
      const writes = Array.from({ length: 50 }, (_, i) => ({
        key: `k${String(i).padStart(2, '0')}`,
        entry: entry(`v${i}`, { metadata: i % 2 === 0 ? `{"i":${i}}` : null, expiration: i % 3 === 0 ? NOW + 600 : null }),
      }));
      await store.putMany(NS, [...writes, { key: 'k00', entry: entry('last') }]);
      const first = await store.get(NS, 'k00', NOW);
      assert.equal(Buffer.from(first!.value).toString('utf8'), 'last');
      assert.equal(first?.metadata, null);
      const got = await store.get(NS, 'k12', NOW);
      assert.equal(Buffer.from(got!.value).toString('utf8'), 'v12');
      assert.equal(got?.metadata, '{"i":12}');
      assert.equal(got?.expiration, NOW + 600);
      const { names } = await listAll(store, NS, '', 1000);
      assert.deepEqual(names, writes.map((w) => w.key));
      await store.putMany(NS, []);
      assert.equal((await listAll(store, 'other', '', 1000)).names.length, 0, 'only the named namespace is written');
    });

    withStore('deleteMany removes the keys given, missing ones included, and no others', async (store) => {
      if (store.deleteMany === undefined) return;
      for (const k of ['a', 'b', 'c', 'd']) await store.put(NS, k, entry(k));
      await store.put('ns2', 'a', entry('a'));
      await store.deleteMany(NS, ['a', 'c', 'never-there']);
      assert.deepEqual((await listAll(store, NS, '', 1000)).names, ['b', 'd']);
      assert.notEqual(await store.get('ns2', 'a', NOW), null);
    });
  });
}
