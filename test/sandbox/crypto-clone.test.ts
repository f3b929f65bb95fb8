// crypto.getRandomValues / randomUUID (https://w3c.github.io/webcrypto/) and structuredClone
// (HTML's structured clone algorithm) inside a real isolate.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { inIsolate } from './harness.js';

describe('crypto', () => {
  test('getRandomValues fills integer arrays in place and returns the same array', async () => {
    const r = await inIsolate(`
      const a = new Uint8Array(64);
      const same = crypto.getRandomValues(a) === a;
      const kinds = [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, BigInt64Array, BigUint64Array]
        .map((T) => { const x = new T(8); crypto.getRandomValues(x); return x.some((v) => v !== 0 && v !== 0n); });
      const big = new Uint8Array(65536);
      crypto.getRandomValues(big);
      const view = new Uint8Array(16);
      crypto.getRandomValues(new Uint8Array(view.buffer, 4, 8));
      return { same, nonZero: a.some((v) => v !== 0), kinds, bigOk: big.some((v) => v !== 0),
        viewBounds: [view.slice(0, 4).every((v) => v === 0), view.slice(12).every((v) => v === 0)],
        differs: crypto.getRandomValues(new Uint8Array(16)).join() !== crypto.getRandomValues(new Uint8Array(16)).join(),
        isCrypto: Object.prototype.toString.call(crypto) };
    `);
    assert.deepEqual(r, {
      same: true, nonZero: true, kinds: Array(9).fill(true), bigOk: true, viewBounds: [true, true], differs: true, isCrypto: '[object Crypto]',
    });
  });

  test('getRandomValues: over 65536 bytes is QuotaExceededError, a non-integer array TypeMismatchError, a non-view TypeError', async () => {
    const r = await inIsolate(`
      let quota;
      try { crypto.getRandomValues(new Uint8Array(65537)); } catch (e) { quota = [describeError(e), e.code]; }
      let mismatch;
      try { crypto.getRandomValues(new Float32Array(4)); } catch (e) { mismatch = [describeError(e), e.code]; }
      return {
        quota, quotaWide: thrown(() => crypto.getRandomValues(new Uint32Array(16385))), mismatch,
        float64: thrown(() => crypto.getRandomValues(new Float64Array(1))), dataView: thrown(() => crypto.getRandomValues(new DataView(new ArrayBuffer(4)))),
        notView: thrown(() => crypto.getRandomValues([1, 2])), buffer: thrown(() => crypto.getRandomValues(new ArrayBuffer(4))),
        exact: thrown(() => crypto.getRandomValues(new Uint32Array(16384))),
      };
    `);
    assert.deepEqual(r, {
      quota: ['DOMException:QuotaExceededError', 22], quotaWide: 'DOMException:QuotaExceededError', mismatch: ['DOMException:TypeMismatchError', 17],
      float64: 'DOMException:TypeMismatchError', dataView: 'DOMException:TypeMismatchError', notView: 'TypeError', buffer: 'TypeError', exact: 'no error',
    });
  });

  test('randomUUID returns distinct version 4, variant 1 UUIDs in lowercase', async () => {
    const r = await inIsolate<string[]>(`return Array.from({ length: 20 }, () => crypto.randomUUID());`);
    for (const id of r) assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(new Set(r).size, r.length);
  });
});

describe('structuredClone', () => {
  test('Map, Set, Date, RegExp, typed arrays, nested objects and cycles survive', async () => {
    const r = await inIsolate(`
      const inner = { n: 1 };
      const original = {
        map: new Map([['k', inner], [1, [2, 3]]]), set: new Set([1, 'two']), date: new Date(1700000000000), re: /a+b/gi,
        bytes: new Uint8Array([1, 2, 3]), nested: { deep: { deeper: [inner, inner] } }, big: 10n, nan: NaN, neg: -0,
        wrapped: new String('s'), undef: undefined, arr: [1, , 3],
      };
      original.self = original;
      const copy = structuredClone(original);
      return {
        distinct: copy !== original && copy.map !== original.map && copy.nested.deep.deeper[0] !== inner,
        map: [copy.map instanceof Map, copy.map.get('k').n, copy.map.get(1)], set: [copy.set instanceof Set, [...copy.set]],
        date: [copy.date instanceof Date, copy.date.getTime()], re: [copy.re instanceof RegExp, copy.re.source, copy.re.flags],
        bytes: [copy.bytes instanceof Uint8Array, Array.from(copy.bytes)], cycle: copy.self === copy,
        sharedRef: copy.nested.deep.deeper[0] === copy.nested.deep.deeper[1] && copy.nested.deep.deeper[0] === copy.map.get('k'),
        big: copy.big === 10n, nan: Number.isNaN(copy.nan), negZero: Object.is(copy.neg, -0), wrapped: copy.wrapped instanceof String,
        undef: 'undef' in copy && copy.undef === undefined, hole: !(1 in copy.arr) && copy.arr.length === 3,
        primitive: [structuredClone(5), structuredClone('x'), structuredClone(null)],
      };
    `);
    assert.deepEqual(r, {
      distinct: true, map: [true, 1, [2, 3]], set: [true, [1, 'two']], date: [true, 1700000000000], re: [true, 'a+b', 'gi'],
      bytes: [true, [1, 2, 3]], cycle: true, sharedRef: true, big: true, nan: true, negZero: true, wrapped: true, undef: true, hole: true,
      primitive: [5, 'x', null],
    });
  });

  test('uncloneable values throw DataCloneError; the argument is required', async () => {
    const r = await inIsolate(`
      let err;
      try { structuredClone(() => 1); } catch (e) { err = [e instanceof DOMException, e.name, e.code]; }
      return {
        err, nested: thrown(() => structuredClone({ a: { f() {} } })), symbol: thrown(() => structuredClone(Symbol('s'))),
        weakMap: thrown(() => structuredClone(new WeakMap())), noArgs: thrown(() => structuredClone()),
      };
    `);
    assert.deepEqual(r, {
      err: [true, 'DataCloneError', 25], nested: 'DOMException:DataCloneError', symbol: 'DOMException:DataCloneError',
      weakMap: 'DOMException:DataCloneError', noArgs: 'TypeError',
    });
  });

  test('transfer detaches the listed ArrayBuffers and rejects what cannot be transferred', async () => {
    const r = await inIsolate(`
      const buffer = new Uint8Array([1, 2, 3]).buffer;
      const copy = structuredClone({ buffer }, { transfer: [buffer] });
      const twice = new ArrayBuffer(1);
      return {
        copy: Array.from(new Uint8Array(copy.buffer)), detached: [buffer.detached, buffer.byteLength],
        duplicate: thrown(() => structuredClone(twice, { transfer: [twice, twice] })), stillUsable: twice.detached,
        notTransferable: thrown(() => structuredClone(1, { transfer: [{}] })), again: thrown(() => structuredClone(1, { transfer: [buffer] })),
        notSequence: thrown(() => structuredClone(1, { transfer: 5 })),
      };
    `);
    assert.deepEqual(r, {
      copy: [1, 2, 3], detached: [true, 0], duplicate: 'DOMException:DataCloneError', stillUsable: false,
      notTransferable: 'DOMException:DataCloneError', again: 'DOMException:DataCloneError', notSequence: 'TypeError',
    });
  });

  test('errors clone with their name and message', async () => {
    const r = await inIsolate(`
      const copy = structuredClone(new RangeError('out of range'));
      return [copy instanceof RangeError, copy.name, copy.message];
    `);
    assert.deepEqual(r, [true, 'RangeError', 'out of range']);
  });
});
