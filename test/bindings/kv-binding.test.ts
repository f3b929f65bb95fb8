import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, beforeEach, describe, test } from 'node:test';
import { KvBinding, KvError } from '../../src/host/bindings/kv/kv-binding.js';
import type { KvEntry, KvListOptions, KvStore } from '../../src/host/storage/kv/kv-store.js';
import { SqliteKvStore } from '../../src/host/storage/kv/sqlite-kv-store.js';

// Expected messages below are the texts Workers users see on Cloudflare, taken
// from Cloudflare's docs and issue reports and from workerd/miniflare sources
// (see the source list in src/host/bindings/kv/kv-limits.ts), not from the code.

const NOW = 1_700_000_000;
const root = mkdtempSync(join(tmpdir(), 'islet-kv-binding-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** Counts the calls that reach the backend, to prove refused calls store nothing. */
class RecordingStore implements KvStore {
  readonly calls: string[] = [];
  constructor(readonly inner: KvStore) {}
  get(ns: string, key: string, now: number) {
    this.calls.push('get');
    return this.inner.get(ns, key, now);
  }
  put(ns: string, key: string, entry: KvEntry) {
    this.calls.push('put');
    return this.inner.put(ns, key, entry);
  }
  delete(ns: string, key: string) {
    this.calls.push('delete');
    return this.inner.delete(ns, key);
  }
  list(ns: string, options: KvListOptions, now: number) {
    this.calls.push('list');
    return this.inner.list(ns, options, now);
  }
  close() {
    this.inner.close();
  }
}

let dirs = 0;
let store: RecordingStore;
let kv: KvBinding;
beforeEach(() => {
  store = new RecordingStore(new SqliteKvStore(join(root, `s${++dirs}`)));
  // 999 ms into the second: expirations count from the whole second, as KV does.
  kv = new KvBinding(store, 'ns-1', () => NOW * 1000 + 999);
});
afterEach(() => store.close());

const bytes = (text: string) => new TextEncoder().encode(text);

function refused(call: () => unknown, code: string, message: string): void {
  const before = store.calls.length;
  assert.throws(call, (error: unknown) => {
    assert.ok(error instanceof KvError, `expected KvError, got ${String(error)}`);
    assert.equal(error.message, message);
    assert.equal(error.code, code);
    return true;
  });
  assert.deepEqual(store.calls.slice(before), [], 'a refused call must not reach the store');
}

async function stored(key: string): Promise<KvEntry | null> {
  return store.inner.get('ns-1', key, NOW);
}

describe('KvBinding keys', () => {
  const at = 'k'.repeat(512);
  const past = 'k'.repeat(513);
  const multibyteAt = 'é'.repeat(256); // 512 bytes, 256 characters
  const multibytePast = `${multibyteAt}a`;

  test('put accepts a 512-byte key and refuses 513 bytes', async () => {
    await kv.put(at, bytes('v'), {});
    await kv.put(multibyteAt, bytes('v'), {});
    assert.notEqual(await stored(at), null);
    assert.notEqual(await stored(multibyteAt), null);
    const message = 'KV PUT failed: 414 UTF-8 encoded length of 513 exceeds key length limit of 512.';
    refused(() => kv.put(past, bytes('v'), {}), 'ERR_KV_KEY_TOO_LONG', message);
    refused(() => kv.put(multibytePast, bytes('v'), {}), 'ERR_KV_KEY_TOO_LONG', message);
    assert.equal(await stored(past), null);
    assert.equal(await stored(multibytePast), null);
  });

  test('get and delete report the key length under their own method', async () => {
    assert.equal(await kv.get(at, undefined), null);
    await kv.delete(at);
    refused(
      () => kv.get(past, undefined),
      'ERR_KV_KEY_TOO_LONG',
      'KV GET failed: 414 UTF-8 encoded length of 513 exceeds key length limit of 512.',
    );
    refused(
      () => kv.delete(multibytePast),
      'ERR_KV_KEY_TOO_LONG',
      'KV DELETE failed: 414 UTF-8 encoded length of 513 exceeds key length limit of 512.',
    );
  });

  test("empty, '.' and '..' keys are refused", () => {
    for (const call of [
      (k: string) => kv.get(k, undefined),
      (k: string) => kv.put(k, bytes('v')),
      (k: string) => kv.delete(k),
    ]) {
      refused(() => call(''), 'ERR_KV_INVALID_KEY', 'Key name cannot be empty.');
      refused(() => call('.'), 'ERR_KV_INVALID_KEY', '"." is not allowed as a key name.');
      refused(() => call('..'), 'ERR_KV_INVALID_KEY', '".." is not allowed as a key name.');
    }
    assert.equal(new KvError('ERR_KV_INVALID_KEY', 'x', 'TypeError').errorName, 'TypeError');
  });

  test('keys that are not strings are refused', () => {
    for (const key of [42, null, undefined, { toString: () => 'k' }, bytes('k')]) {
      refused(
        () => kv.put(key, bytes('v')),
        'ERR_KV_INVALID_ARGUMENT',
        "Failed to execute 'put' on 'KvNamespace': parameter 1 is not of type 'string'.",
      );
    }
  });
});

describe('KvBinding values', () => {
  test('a 25 MiB value is stored and one byte more is refused', async () => {
    const limit = 26214400;
    await kv.put('big', new Uint8Array(limit), {});
    assert.equal((await stored('big'))?.value.byteLength, limit);
    refused(
      () => kv.put('bigger', new Uint8Array(limit + 1), {}),
      'ERR_KV_VALUE_TOO_LARGE',
      'KV PUT failed: 413 Value length of 26214401 exceeds limit of 26214400.',
    );
    assert.equal(await stored('bigger'), null);
  });

  test('ArrayBuffer and Uint8Array values are accepted, nothing else is', async () => {
    await kv.put('ab', bytes('from buffer').buffer, {});
    assert.equal(Buffer.from((await stored('ab'))!.value).toString(), 'from buffer');
    const message = 'KV put() accepts only strings, ArrayBuffers, ArrayBufferViews, and ReadableStreams as values.';
    for (const value of ['text', 1, null, undefined, {}, [1, 2], new Uint16Array(2)]) {
      refused(() => kv.put('k', value, {}), 'ERR_KV_INVALID_ARGUMENT', message);
    }
  });

  test("the stored value is a copy of the caller's bytes", async () => {
    const value = bytes('original');
    await kv.put('k', value, {});
    value.fill(0);
    assert.equal(Buffer.from((await stored('k'))!.value).toString(), 'original');
  });
});

describe('KvBinding metadata', () => {
  test('1024 bytes of serialized metadata are accepted and 1025 refused', async () => {
    const at = JSON.stringify('x'.repeat(1022));
    assert.equal(Buffer.byteLength(at), 1024);
    await kv.put('k', bytes('v'), { metadata: at });
    assert.equal((await stored('k'))?.metadata, at);
    refused(
      () => kv.put('k2', bytes('v'), { metadata: JSON.stringify('x'.repeat(1023)) }),
      'ERR_KV_METADATA_TOO_LARGE',
      'KV PUT failed: 413 Metadata length of 1025 exceeds limit of 1024.',
    );
    assert.equal(await stored('k2'), null);
  });

  test('metadata size counts UTF-8 bytes, not characters', async () => {
    await kv.put('k', bytes('v'), { metadata: JSON.stringify('é'.repeat(511)) });
    refused(
      () => kv.put('k2', bytes('v'), { metadata: JSON.stringify('é'.repeat(512)) }),
      'ERR_KV_METADATA_TOO_LARGE',
      'KV PUT failed: 413 Metadata length of 1026 exceeds limit of 1024.',
    );
  });

  test('metadata must be JSON text; null means none', async () => {
    for (const metadata of ['{not json', { a: 1 }, 12, 'undefined']) {
      refused(
        () => kv.put('k', bytes('v'), { metadata }),
        'ERR_KV_INVALID_ARGUMENT',
        'KV put() metadata must be serialized JSON text.',
      );
    }
    await kv.put('k', bytes('v'), { metadata: 'null' });
    assert.equal((await stored('k'))?.metadata, null);
  });
});

describe('KvBinding expiration', () => {
  test('expirationTtl of 60 is accepted and counted from now', async () => {
    await kv.put('k', bytes('v'), { expirationTtl: 60 });
    assert.equal((await stored('k'))?.expiration, NOW + 60);
  });

  test('expirationTtl under 60 is refused', async () => {
    refused(
      () => kv.put('k', bytes('v'), { expirationTtl: 59 }),
      'ERR_KV_INVALID_EXPIRATION',
      'KV PUT failed: 400 Invalid expiration_ttl of 59. Expiration TTL must be at least 60.',
    );
    refused(
      () => kv.put('k', bytes('v'), { expirationTtl: 10 }),
      'ERR_KV_INVALID_EXPIRATION',
      'KV PUT failed: 400 Invalid expiration_ttl of 10. Expiration TTL must be at least 60.',
    );
    for (const [ttl, shown] of [
      [0, 0],
      [-5, -5],
      ['nan', 0],
    ] as const) {
      refused(
        () => kv.put('k', bytes('v'), { expirationTtl: ttl }),
        'ERR_KV_INVALID_EXPIRATION',
        `KV PUT failed: 400 Invalid expiration_ttl of ${shown}. Please specify integer greater than 0.`,
      );
    }
    assert.equal(await stored('k'), null);
  });

  test('an absolute expiration 60 seconds ahead is accepted, 59 is refused', async () => {
    await kv.put('k', bytes('v'), { expiration: NOW + 60 });
    assert.equal((await stored('k'))?.expiration, NOW + 60);
    refused(
      () => kv.put('k2', bytes('v'), { expiration: NOW + 59 }),
      'ERR_KV_INVALID_EXPIRATION',
      `KV PUT failed: 400 Invalid expiration of ${NOW + 59}. Expiration times must be at least 60 seconds in the future.`,
    );
    for (const expiration of [NOW, NOW - 1, 60]) {
      refused(
        () => kv.put('k2', bytes('v'), { expiration }),
        'ERR_KV_INVALID_EXPIRATION',
        `KV PUT failed: 400 Invalid expiration of ${expiration}. Please specify integer greater than the current number of seconds since the UNIX epoch.`,
      );
    }
    assert.equal(await stored('k2'), null);
  });

  test('expirations outside the 32-bit range are refused as Workers does', () => {
    for (const options of [{ expiration: 1675058732043 }, { expirationTtl: 2 ** 31 }, { expiration: Infinity }]) {
      refused(
        () => kv.put('k', bytes('v'), options),
        'ERR_KV_INVALID_ARGUMENT',
        'Value out of range. Must be between -2147483648 and 2147483647 (inclusive).',
      );
    }
  });

  test('expirationTtl takes precedence over expiration', async () => {
    await kv.put('k', bytes('v'), { expirationTtl: 120, expiration: NOW + 999 });
    assert.equal((await stored('k'))?.expiration, NOW + 120);
  });
});

describe('KvBinding get cacheTtl', () => {
  test('cacheTtl of 30 is accepted and 29 refused', async () => {
    await kv.put('k', bytes('v'), {});
    assert.notEqual(await kv.get('k', 30), null);
    assert.notEqual(await kv.get('k', undefined), null);
    refused(
      () => kv.get('k', 29),
      'ERR_KV_INVALID_CACHE_TTL',
      'KV GET failed: 400 Invalid cache_ttl of 29. Cache TTL must be at least 30.',
    );
  });
});

describe('KvBinding list', () => {
  test('limit 1000 is accepted and 1001 refused', async () => {
    for (let i = 0; i < 3; i++) await kv.put(`k${i}`, bytes('v'), {});
    assert.equal((await kv.list({ limit: 1000 })).keys.length, 3);
    const one = await kv.list({ limit: 1 });
    assert.deepEqual(one.keys, [{ name: 'k0' }]);
    assert.equal(one.list_complete, false);
    refused(
      () => kv.list({ limit: 1001 }),
      'ERR_KV_INVALID_LIMIT',
      'KV GET failed: 400 Invalid key_count_limit of 1001. Please specify an integer less than 1000.',
    );
  });

  test('a limit of zero or less lists with the default page size, as workerd drops it', async () => {
    for (let i = 0; i < 3; i++) await kv.put(`k${i}`, bytes('v'), {});
    assert.equal((await kv.list({ limit: 0 })).keys.length, 3);
    assert.equal((await kv.list({ limit: -1 })).keys.length, 3);
    assert.equal((await kv.list({})).keys.length, 3);
  });

  test('a prefix is limited like a key', async () => {
    await kv.list({ prefix: 'p'.repeat(512) });
    refused(
      () => kv.list({ prefix: 'p'.repeat(513) }),
      'ERR_KV_KEY_TOO_LONG',
      'KV GET failed: 414 UTF-8 encoded length of 513 exceeds key length limit of 512.',
    );
  });

  test('cursors from earlier pages are followed, anything else is refused', async () => {
    for (const k of ['a', 'b', 'c']) await kv.put(k, bytes('v'), {});
    const first = await kv.list({ limit: 2 });
    assert.equal(typeof first.cursor, 'string');
    const second = await kv.list({ limit: 2, cursor: first.cursor });
    assert.deepEqual(second, { keys: [{ name: 'c' }], list_complete: true });
    for (const cursor of ['invalid', '', '!!!', 'AA', '6Ck1la0VxJ0djhidm1MdX2FyD']) {
      refused(() => kv.list({ cursor }), 'ERR_KV_INVALID_CURSOR', 'KV GET failed: 400 Invalid cursor');
    }
    refused(() => kv.list({ cursor: 5 }), 'ERR_KV_INVALID_ARGUMENT', 'KV list() cursor must be a string.');
  });
});
