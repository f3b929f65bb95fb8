// The host half of the Cache API with a clock the test controls, on a real SQLite store.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { CacheAnswer } from '../../src/host/bindings/cache/cache-answer.js';
import { CacheBinding } from '../../src/host/bindings/cache/cache-binding.js';
import { SqliteCacheStore } from '../../src/host/storage/cache/sqlite-cache-store.js';
import { MAX_CACHE_ENTRY_BYTES } from '../../src/shared/cache-limits.js';

const root = mkdtempSync(join(tmpdir(), 'islet-cache-binding-'));
after(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;

function setup(partition = 'tenant') {
  const store = new SqliteCacheStore(join(root, `d${++dirs}`));
  const clock = { now: Date.parse('Wed, 01 Jan 2025 00:00:00 GMT') };
  const binding = new CacheBinding(store, partition, () => clock.now);
  const match = (url: string, name: string | null = null): CacheAnswer | null => {
    const answer = binding.match(name, url, [null, null, null, null]);
    assert.ok(!(answer instanceof Promise), 'the SQLite store answers synchronously');
    return answer;
  };
  return { store, clock, binding, match, [Symbol.dispose]: () => store.close() };
}

const URL_A = 'https://example.com/a';

describe('CacheBinding', () => {
  test('an entry is served until its max-age has passed, then gone', () => {
    using s = setup();
    s.binding.put(null, URL_A, 200, 'OK', 'cache-control:max-age=60', 'hello');
    s.clock.now += 59_999;
    const hit = s.match(URL_A);
    assert.ok(hit !== null);
    assert.equal(Buffer.from(hit.body!).toString(), 'hello');
    s.clock.now += 1;
    assert.equal(s.match(URL_A), null);
  });

  test('s-maxage wins over max-age', () => {
    using s = setup();
    s.binding.put(null, URL_A, 200, 'OK', 'cache-control:max-age=600, s-maxage=10', 'x');
    s.clock.now += 10_000;
    assert.equal(s.match(URL_A), null);
  });

  test('Expires in the past, no-store, private and Set-Cookie store nothing, and put does not throw', () => {
    using s = setup();
    const cases = ['expires:Thu, 01 Jan 1970 00:00:00 GMT', 'cache-control:no-store', 'cache-control:private, max-age=60',
      'cache-control:max-age=60\nset-cookie:session=1'];
    for (const headers of cases) {
      s.binding.put(null, URL_A, 200, 'OK', headers, 'x');
      assert.equal(s.match(URL_A), null, headers);
    }
    assert.equal(s.store.usage('tenant'), 0);
  });

  test('the key is the URL without its fragment; default and named caches are separate', () => {
    using s = setup();
    s.binding.put(null, 'https://example.com/p#one', 200, 'OK', '', 'default');
    s.binding.put('', 'https://example.com/p', 200, 'OK', '', 'named ""');
    assert.equal(Buffer.from(s.match('https://example.com/p#two')!.body!).toString(), 'default');
    assert.equal(Buffer.from(s.match('https://example.com/p', '')!.body!).toString(), 'named ""');
    assert.equal(s.match('https://example.com/p', 'other'), null);
  });

  test('delete answers true for a stored entry, then false', () => {
    using s = setup();
    s.binding.put(null, URL_A, 200, 'OK', '', 'x');
    assert.equal(s.binding.delete(null, URL_A), true);
    assert.equal(s.binding.delete(null, URL_A), false);
  });

  test('a body over the entry limit is not stored', () => {
    using s = setup();
    s.binding.put(null, URL_A, 200, 'OK', '', new ArrayBuffer(MAX_CACHE_ENTRY_BYTES + 1));
    assert.equal(s.match(URL_A), null);
  });

  test('values no runtime would send are refused before anything is stored', () => {
    using s = setup();
    const refused: [string, () => unknown][] = [
      ['a relative URL', () => s.binding.put(null, '/a', 200, 'OK', '', 'x')],
      ['a non-http URL', () => s.binding.put(null, 'file:///etc/passwd', 200, 'OK', '', 'x')],
      ['an over-long URL', () => s.binding.put(null, `https://example.com/${'a'.repeat(17_000)}`, 200, 'OK', '', 'x')],
      ['a header name that is not a token', () => s.binding.put(null, URL_A, 200, 'OK', 'bad name:x', 'x')],
      ['a header value with CR', () => s.binding.put(null, URL_A, 200, 'OK', 'x-a:1\r', 'x')],
      ['a header beyond Latin-1', () => s.binding.put(null, URL_A, 200, 'OK', 'x-a:\u0100', 'x')],
      ['a status out of range', () => s.binding.put(null, URL_A, 99, 'OK', '', 'x')],
      ['a fractional status', () => s.binding.put(null, URL_A, 200.5, 'OK', '', 'x')],
      ['a status text with LF', () => s.binding.put(null, URL_A, 200, 'O\nK', '', 'x')],
      ['a body object', () => s.binding.put(null, URL_A, 200, 'OK', '', { length: 3 })],
      ['a cache name too long', () => s.binding.put('n'.repeat(1024), URL_A, 200, 'OK', '', 'x')],
      ['a cache name that is not a string', () => s.binding.match(7, URL_A, [])],
    ];
    for (const [what, call] of refused) assert.throws(call, TypeError, what);
    assert.equal(s.store.usage('tenant'), 0);
  });

  test('partitions do not see each other', () => {
    using s = setup('tenant-a');
    const other = new CacheBinding(s.store, 'tenant-b', () => s.clock.now);
    s.binding.put(null, URL_A, 200, 'OK', '', 'a');
    assert.equal(other.match(null, URL_A, []), null);
    assert.equal(other.delete(null, URL_A), false);
    assert.ok(s.match(URL_A) !== null);
  });
});
