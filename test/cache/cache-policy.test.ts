// What cache.put() stores and for how long, against RFC 9111 and Cloudflare's documented behaviour.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { deltaSeconds, httpDate, parseCacheControl, type HeaderList } from '../../src/host/bindings/cache/cache-control.js';
import { planStorage, type StoragePlan } from '../../src/host/bindings/cache/cache-policy.js';

const NOW = Date.parse('Sun, 06 Nov 1994 08:49:37 GMT');
const at = (offsetSeconds: number) => new Date(NOW + offsetSeconds * 1000).toUTCString();
const plan = (headers: HeaderList, status = 200): StoragePlan => planStorage(status, headers, NOW);
const ttl = (headers: HeaderList, status = 200): number | null => {
  const p = plan(headers, status);
  return p.store ? p.ttlSeconds : null;
};

describe('Cache-Control parsing (RFC 9111 section 5.2)', () => {
  test('directives are case-insensitive, arguments may be tokens or quoted strings', () => {
    const d = parseCacheControl(['Public, MAX-AGE=60', 'private="set-cookie, x-a", no-cache']);
    assert.equal(d.get('public'), null);
    assert.equal(d.get('max-age'), '60');
    assert.equal(d.get('private'), 'set-cookie, x-a');
    assert.equal(d.get('no-cache'), null);
  });

  test('the first of repeated directives counts (RFC 9111 section 4.2.1)', () => {
    assert.equal(parseCacheControl(['max-age=10, max-age=99']).get('max-age'), '10');
  });

  test('delta-seconds is digits only, and caps at 2^31 (RFC 9111 section 1.2.2)', () => {
    assert.equal(deltaSeconds('60'), 60);
    assert.equal(deltaSeconds('-1'), null);
    assert.equal(deltaSeconds('1.5'), null);
    assert.equal(deltaSeconds('99999999999'), 2 ** 31);
  });

  test('the three HTTP-date formats RFC 9110 section 5.6.7 requires parse to the same time', () => {
    const expected = Date.UTC(1994, 10, 6, 8, 49, 37);
    assert.equal(httpDate('Sun, 06 Nov 1994 08:49:37 GMT'), expected);
    assert.equal(httpDate('Sunday, 06-Nov-94 08:49:37 GMT'), expected);
    assert.equal(httpDate('Sun Nov  6 08:49:37 1994'), expected);
    assert.equal(httpDate('0'), null);
    assert.equal(httpDate('2024-01-01T00:00:00Z'), null);
  });
});

describe('freshness lifetime', () => {
  test('max-age gives the lifetime', () => assert.equal(ttl([['cache-control', 'max-age=60']]), 60));

  test('s-maxage wins over max-age in a shared cache (RFC 9111 section 5.2.2.10)', () => {
    assert.equal(ttl([['cache-control', 'max-age=60, s-maxage=600']]), 600);
    assert.equal(ttl([['cache-control', 's-maxage=5, max-age=600']]), 5);
  });

  test('max-age wins over Expires (RFC 9111 section 5.3)', () => {
    assert.equal(ttl([['cache-control', 'max-age=60'], ['expires', at(3600)]]), 60);
  });

  test('Expires counts from Date, or from now without one', () => {
    assert.equal(ttl([['date', at(0)], ['expires', at(300)]]), 300);
    assert.equal(ttl([['expires', at(120)]]), 120);
  });

  test('an invalid Expires, such as "0", means already expired: not stored (RFC 9111 section 5.3)', () => {
    assert.equal(plan([['expires', '0']]).store, false);
  });

  test('a zero or invalid max-age is not stored: match() never revalidates', () => {
    assert.equal(plan([['cache-control', 'max-age=0']]).store, false);
    assert.equal(plan([['cache-control', 's-maxage=0, max-age=60']]).store, false);
    assert.equal(plan([['cache-control', 'max-age=soon']]).store, false);
  });

  test("without Cache-Control or Expires, Cloudflare's default edge TTL by status applies", () => {
    assert.equal(ttl([], 200), 7200);
    assert.equal(ttl([], 301), 7200);
    assert.equal(ttl([], 302), 1200);
    assert.equal(ttl([], 303), 1200);
    assert.equal(ttl([], 404), 180);
    assert.equal(ttl([], 410), 180);
    assert.equal(plan([], 204).store, false);
    assert.equal(plan([], 500).store, false);
    // Explicit freshness stores any status.
    assert.equal(ttl([['cache-control', 'max-age=30']], 500), 30);
  });

  test('the age a response already has is taken off its lifetime (RFC 9111 section 4.2.3)', () => {
    const withAge = plan([['cache-control', 'max-age=60'], ['age', '50']]);
    assert.ok(withAge.store);
    assert.equal(withAge.ttlSeconds, 10);
    assert.equal(withAge.initialAge, 50);
    assert.equal(plan([['cache-control', 'max-age=60'], ['age', '60']]).store, false);
    // apparent_age from Date: generated 30 s before it reached the cache.
    const dated = plan([['cache-control', 'max-age=60'], ['date', at(-30)]]);
    assert.ok(dated.store);
    assert.equal(dated.ttlSeconds, 30);
    assert.equal(dated.initialAge, 30);
  });
});

describe('what is not stored', () => {
  test('no-store and private are never stored', () => {
    assert.equal(plan([['cache-control', 'no-store, max-age=60']]).store, false);
    assert.equal(plan([['cache-control', 'private, max-age=60']]).store, false);
    assert.equal(plan([['cache-control', 'public, no-cache']]).store, false);
  });

  test('a response with Set-Cookie is not stored (Cloudflare Cache API)', () => {
    assert.equal(plan([['cache-control', 'max-age=60'], ['set-cookie', 'id=1']]).store, false);
  });

  test('Cache-Control: private=Set-Cookie stores the response without its Set-Cookie', () => {
    const p = plan([['cache-control', 'max-age=60, Private=Set-Cookie'], ['set-cookie', 'id=1'], ['set-cookie', 'b=2'], ['x-kept', 'yes']]);
    assert.ok(p.store);
    assert.deepEqual(p.headers, [['cache-control', 'max-age=60, Private=Set-Cookie'], ['x-kept', 'yes']]);
    const quoted = plan([['cache-control', 'private="set-cookie, x-user", max-age=60'], ['set-cookie', 'a'], ['x-user', 'u'], ['etag', '"1"']]);
    assert.ok(quoted.store);
    assert.deepEqual(quoted.headers.map(([name]) => name), ['cache-control', 'etag']);
  });

  test('no-cache=<field> stores only when that field is absent (Cloudflare Origin Cache Control)', () => {
    assert.equal(plan([['cache-control', 'no-cache="x-user", max-age=60'], ['x-user', 'u']]).store, false);
    assert.equal(plan([['cache-control', 'no-cache="x-user", max-age=60']]).store, true);
  });

  test('connection fields and the fields the cache writes itself are not kept', () => {
    const p = plan([['cache-control', 'max-age=60'], ['connection', 'close'], ['content-length', '5'], ['age', '1'],
      ['transfer-encoding', 'chunked'], ['cf-cache-status', 'MISS'], ['content-type', 'text/plain']]);
    assert.ok(p.store);
    assert.deepEqual(p.headers.map(([name]) => name), ['cache-control', 'content-type']);
  });
});
