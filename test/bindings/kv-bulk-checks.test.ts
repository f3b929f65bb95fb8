// Checking bulk writes and deletes in wrangler's file format / Cloudflare's bulk API body, with the
// limits of a worker's put() and delete().
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkBulkDelete, checkBulkPut, KvBulkError } from '../../src/host/bindings/kv/kv-bulk-checks.js';

const NOW = 1_700_000_000;
const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8');

function refusal(work: () => unknown): KvBulkError {
  try {
    work();
  } catch (err) {
    assert.ok(err instanceof KvBulkError, String(err));
    return err;
  }
  assert.fail('expected a KvBulkError');
}

test('items become writes in order: strings as UTF-8, base64 as its bytes, metadata as JSON text', () => {
  const { writes, unknownFields } = checkBulkPut([
    { key: 'plain', value: 'héllo' },
    { key: 'bytes', value: Buffer.from([0, 1, 254, 255]).toString('base64'), base64: true },
    { key: 'unpadded', value: 'AAH+/w', base64: true },
    { key: 'meta', value: '', metadata: { role: 'admin', tags: ['a'] } },
    { key: 'no-meta', value: 'x', metadata: null, base64: false },
  ], NOW);
  assert.deepEqual(writes.map((w) => w.key), ['plain', 'bytes', 'unpadded', 'meta', 'no-meta']);
  assert.equal(text(writes[0]!.entry.value), 'héllo');
  assert.deepEqual([...writes[1]!.entry.value], [0, 1, 254, 255]);
  assert.deepEqual([...writes[2]!.entry.value], [0, 1, 254, 255]);
  assert.equal(writes[3]!.entry.value.byteLength, 0);
  assert.deepEqual(JSON.parse(writes[3]!.entry.metadata!), { role: 'admin', tags: ['a'] });
  assert.equal(writes[4]!.entry.metadata, null, 'null metadata is no metadata, as in Workers');
  assert.deepEqual(unknownFields, []);
});

test('expiration_ttl counts from now and wins over expiration, as Cloudflare documents for bulk writes', () => {
  const { writes } = checkBulkPut([
    { key: 'ttl', value: 'v', expiration_ttl: 3600 },
    { key: 'at', value: 'v', expiration: NOW + 600 },
    { key: 'both', value: 'v', expiration: NOW + 600, expiration_ttl: 120 },
    { key: 'never', value: 'v' },
  ], NOW);
  assert.deepEqual(writes.map((w) => w.entry.expiration), [NOW + 3600, NOW + 600, NOW + 120, null]);
});

test('fields outside the format are reported and do not stop the write', () => {
  const { writes, unknownFields } = checkBulkPut([{ key: 'a', value: 'v', ttl: 60, Key: 'b' }], NOW);
  assert.equal(writes.length, 1);
  assert.deepEqual(unknownFields, [{ index: 0, fields: ['ttl', 'Key'] }]);
});

test('every wrong item is named by index and key, with KV\'s own message for its limits', () => {
  const items = [
    { key: 'ok', value: 'v' },
    { key: 'no-value' },
    { key: 'k'.repeat(513), value: 'v' },
    { key: 'short-ttl', value: 'v', expiration_ttl: 30 },
    { key: 'past', value: 'v', expiration: NOW - 1 },
    { key: 'bad-b64', value: 'not base64!', base64: true },
    { key: 'big-meta', value: 'v', metadata: { pad: 'x'.repeat(1024) } },
    { key: 'number', value: 42 },
    { key: '', value: 'v' },
    { key: 'frac', value: 'v', expiration_ttl: 90.5 },
    'just a string',
    { key: 'big', value: 'x'.repeat(25 * 1024 * 1024 + 1) },
  ];
  const { problems, count, message } = refusal(() => checkBulkPut(items, NOW));
  assert.equal(count, 11);
  assert.deepEqual(problems.map((p) => [p.index, p.key]), [
    [1, 'no-value'], [2, 'k'.repeat(513)], [3, 'short-ttl'], [4, 'past'], [5, 'bad-b64'], [6, 'big-meta'],
    [7, 'number'], [8, ''], [9, 'frac'], [10, null], [11, 'big'],
  ]);
  const reasons = problems.map((p) => p.reason);
  assert.match(reasons[0]!, /"value" is missing/);
  assert.equal(reasons[1], 'KV PUT failed: 414 UTF-8 encoded length of 513 exceeds key length limit of 512.');
  assert.equal(reasons[2], 'KV PUT failed: 400 Invalid expiration_ttl of 30. Expiration TTL must be at least 60.');
  assert.match(reasons[3]!, /^KV PUT failed: 400 Invalid expiration of \d+\. Please specify integer greater than the current number/);
  assert.match(reasons[4]!, /not valid base64/);
  assert.match(reasons[5]!, /^KV PUT failed: 413 Metadata length of \d+ exceeds limit of 1024\.$/);
  assert.match(reasons[6]!, /"value" must be a string/);
  assert.equal(reasons[7], 'Key name cannot be empty.');
  assert.match(reasons[8]!, /whole number of seconds, got 90.5/);
  assert.match(reasons[9]!, /expected an object with "key" and "value", got "just a string"/);
  assert.equal(reasons[10], `KV PUT failed: 413 Value length of ${25 * 1024 * 1024 + 1} exceeds limit of ${25 * 1024 * 1024}.`);
  assert.match(message, /^11 items of 12 cannot be written, so nothing was written:\n {2}item at index 1 \(key "no-value"\): /);
});

test('a body that is not an array is refused whole', () => {
  assert.throws(() => checkBulkPut({ key: 'a', value: 'b' }, NOW), /Expected a JSON array of \{"key", "value"\} objects, got \{"key":"a","value":"b"\}/);
  assert.throws(() => checkBulkDelete('a', false), /Expected a JSON array of key strings, got "a"/);
});

test('bulk delete takes key strings, and in wrangler files also {"name"} objects as kv key list prints them', () => {
  assert.deepEqual(checkBulkDelete(['a', 'b'], false), ['a', 'b']);
  assert.deepEqual(checkBulkDelete(['a', { name: 'b', metadata: { x: 1 } }], true), ['a', 'b']);
  const { problems } = refusal(() => checkBulkDelete(['a', { name: 'b' }, '..', 'k'.repeat(600)], false));
  assert.deepEqual(problems.map((p) => [p.index, p.key]), [[1, null], [2, '..'], [3, 'k'.repeat(600)]]);
  assert.match(problems[1]!.reason, /"\.\." is not allowed as a key name\./);
  assert.match(problems[2]!.reason, /^KV DELETE failed: 414 UTF-8 encoded length of 600/);
});

test('at most 12 wrong items are listed, with how many more there are', () => {
  const err = refusal(() => checkBulkPut(Array.from({ length: 30 }, () => ({ key: 'k' })), NOW));
  assert.equal(err.problems.length, 12);
  assert.equal(err.count, 30);
  assert.match(err.message, /\.\.\. and 18 more$/);
});
