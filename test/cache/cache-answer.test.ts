// How cache.match() answers from a stored entry: conditional requests (RFC 9110 section 13) and
// ranges (section 14), as Cloudflare documents for its Cache API.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { answerFromEntry, parseRange, type MatchConditions, type StoredResponse } from '../../src/host/bindings/cache/cache-answer.js';
import type { HeaderList } from '../../src/host/bindings/cache/cache-control.js';

const NOW = Date.parse('Wed, 01 Jan 2025 00:00:00 GMT');
const LAST_MODIFIED = 'Tue, 31 Dec 2024 12:00:00 GMT';
const BODY = new TextEncoder().encode('0123456789');
const stored = (headers: HeaderList = [], more: Partial<StoredResponse> = {}): StoredResponse => ({
  status: 200, statusText: 'OK', headers: [['etag', '"v1"'], ['last-modified', LAST_MODIFIED], ...headers],
  body: BODY, storedAt: NOW, initialAge: 0, ...more,
});
const none: MatchConditions = { range: null, ifNoneMatch: null, ifModifiedSince: null, ifRange: null };
const ask = (conditions: Partial<MatchConditions>, entry = stored(), now = NOW) => answerFromEntry(entry, { ...none, ...conditions }, now);
const header = (headers: HeaderList, name: string) => headers.find(([n]) => n === name)?.[1];
const text = (body: Uint8Array | null) => (body === null ? null : Buffer.from(body).toString());

describe('a plain hit', () => {
  test('carries the stored fields, cf-cache-status: HIT, its current Age and its length', () => {
    const answer = ask({}, stored([['content-type', 'text/plain']], { initialAge: 5 }), NOW + 12_500);
    assert.equal(answer.status, 200);
    assert.equal(text(answer.body), '0123456789');
    assert.equal(header(answer.headers, 'content-type'), 'text/plain');
    assert.equal(header(answer.headers, 'cf-cache-status'), 'HIT');
    assert.equal(header(answer.headers, 'age'), '17');
    assert.equal(header(answer.headers, 'content-length'), '10');
  });
});

describe('conditional requests', () => {
  test('If-None-Match matching the ETag gives 304 without a body', () => {
    const answer = ask({ ifNoneMatch: '"v1"' });
    assert.equal(answer.status, 304);
    assert.equal(answer.body, null);
    assert.equal(header(answer.headers, 'etag'), '"v1"');
  });

  test('If-None-Match uses the weak comparison, a list and * (RFC 9110 sections 13.1.2, 13.1.2)', () => {
    assert.equal(ask({ ifNoneMatch: 'W/"v1"' }).status, 304);
    assert.equal(ask({ ifNoneMatch: '"x", "v1"' }).status, 304);
    assert.equal(ask({ ifNoneMatch: '*' }).status, 304);
    assert.equal(ask({ ifNoneMatch: '"v1"' }, stored([], { headers: [['etag', 'W/"v1"']] })).status, 304);
    assert.equal(ask({ ifNoneMatch: '"v2"' }).status, 200);
  });

  test('If-Modified-Since gives 304 when Last-Modified is not later', () => {
    assert.equal(ask({ ifModifiedSince: LAST_MODIFIED }).status, 304);
    assert.equal(ask({ ifModifiedSince: 'Tue, 31 Dec 2024 13:00:00 GMT' }).status, 304);
    assert.equal(ask({ ifModifiedSince: 'Tue, 31 Dec 2024 11:59:59 GMT' }).status, 200);
    assert.equal(ask({ ifModifiedSince: 'yesterday' }).status, 200, 'an invalid date is ignored');
    assert.equal(ask({ ifModifiedSince: LAST_MODIFIED }, stored([], { headers: [] })).status, 200, 'no Last-Modified: no 304');
  });

  test('If-Modified-Since is ignored when If-None-Match is present (RFC 9110 section 13.2.2)', () => {
    assert.equal(ask({ ifNoneMatch: '"v2"', ifModifiedSince: LAST_MODIFIED }).status, 200);
  });

  test('preconditions do not apply to a stored non-2xx response (RFC 9110 section 13.2.1)', () => {
    assert.equal(ask({ ifNoneMatch: '"v1"' }, stored([], { status: 404, statusText: 'Not Found' })).status, 404);
  });
});

describe('range requests', () => {
  test('a byte range gives 206 with Content-Range and exactly those bytes', () => {
    const answer = ask({ range: 'bytes=2-5' });
    assert.equal(answer.status, 206);
    assert.equal(text(answer.body), '2345');
    assert.equal(header(answer.headers, 'content-range'), 'bytes 2-5/10');
    assert.equal(header(answer.headers, 'content-length'), '4');
    assert.equal(header(answer.headers, 'cf-cache-status'), 'HIT');
  });

  test('open and suffix ranges (RFC 9110 section 14.1.2)', () => {
    assert.equal(text(ask({ range: 'bytes=7-' }).body), '789');
    assert.equal(text(ask({ range: 'bytes=-3' }).body), '789');
    assert.equal(text(ask({ range: 'bytes=-30' }).body), '0123456789');
    assert.equal(text(ask({ range: 'bytes=8-100' }).body), '89');
  });

  test('a range past the end is 416 with Content-Range: bytes */length', () => {
    const answer = ask({ range: 'bytes=10-' });
    assert.equal(answer.status, 416);
    assert.equal(header(answer.headers, 'content-range'), 'bytes */10');
    assert.equal(answer.body, null);
  });

  test('what cannot be served as one range is ignored, serving the whole response', () => {
    assert.equal(ask({ range: 'bytes=0-1,4-5' }).status, 200);
    assert.equal(ask({ range: 'items=0-1' }).status, 200);
    assert.equal(ask({ range: 'bytes=5-2' }).status, 200);
    assert.equal(ask({ range: 'bytes=0-1' }, stored([], { status: 404 })).status, 404);
  });

  test('If-Range applies the range only while the validator still matches (RFC 9110 section 13.1.5)', () => {
    assert.equal(ask({ range: 'bytes=0-1', ifRange: '"v1"' }).status, 206);
    assert.equal(ask({ range: 'bytes=0-1', ifRange: '"v0"' }).status, 200);
    assert.equal(ask({ range: 'bytes=0-1', ifRange: 'W/"v1"' }).status, 200, 'a weak validator never matches');
    assert.equal(ask({ range: 'bytes=0-1', ifRange: LAST_MODIFIED }).status, 206);
    assert.equal(ask({ range: 'bytes=0-1', ifRange: 'Tue, 31 Dec 2024 12:00:01 GMT' }).status, 200);
  });

  test('a satisfied precondition wins over the range', () => {
    assert.equal(ask({ range: 'bytes=0-1', ifNoneMatch: '"v1"' }).status, 304);
  });

  test('parseRange', () => {
    assert.deepEqual(parseRange('bytes=0-0', 1), [0, 0]);
    assert.equal(parseRange('bytes=-0', 5), 'unsatisfiable');
    assert.equal(parseRange('bytes=0-', 0), null);
  });
});
