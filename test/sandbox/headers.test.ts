// Headers inside a real isolate, against https://fetch.spec.whatwg.org/#headers-class.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { startWorker } from '../helpers/worker-server.js';
import { inIsolate } from './harness.js';

describe('Headers', () => {
  test('names are case-insensitive and stored lowercased', async () => {
    const r = await inIsolate(`
      const h = new Headers({ 'Content-Type': 'text/plain' });
      h.append('X-Custom', 'a');
      return {
        lower: h.get('content-type'), upper: h.get('CONTENT-TYPE'), has: h.has('x-CUSTOM'),
        keys: [...h.keys()],
      };
    `);
    assert.deepEqual(r, { lower: 'text/plain', upper: 'text/plain', has: true, keys: ['content-type', 'x-custom'] });
  });

  test('append combines, set replaces, delete removes, get answers null when absent', async () => {
    const r = await inIsolate(`
      const h = new Headers();
      h.append('Accept', 'a');
      h.append('accept', 'b');
      const combined = h.get('accept');
      h.set('ACCEPT', 'c');
      const replaced = h.get('accept');
      h.delete('Accept');
      return { combined, replaced, afterDelete: h.get('accept'), has: h.has('accept'), missing: h.get('nope'),
        deleteMissing: thrown(() => h.delete('never-set')) };
    `);
    assert.deepEqual(r, { combined: 'a, b', replaced: 'c', afterDelete: null, has: false, missing: null, deleteMissing: 'no error' });
  });

  test('values are normalized by stripping leading and trailing HTTP whitespace', async () => {
    const r = await inIsolate(`
      const h = new Headers({ a: ' \\t x y \\t ' });
      h.append('b', '\\r\\n  z\\n');
      h.set('c', '\\t\\t');
      return { a: h.get('a'), b: h.get('b'), c: h.get('c') };
    `);
    assert.deepEqual(r, { a: 'x y', b: 'z', c: '' });
  });

  test('invalid names and values throw TypeError from every method', async () => {
    const r = await inIsolate(`
      const h = new Headers();
      const badNames = ['', 'a b', 'a:b', 'caf\\u00e9', '(x)', 'x\\n', '\\u20ac'];
      const badValues = ['a\\nb', 'a\\rb', 'a\\0b', '\\u20ac', 'x\\u0100'];
      const out = {};
      for (const n of badNames) {
        out['name ' + JSON.stringify(n)] = [
          thrown(() => h.append(n, 'v')), thrown(() => h.set(n, 'v')), thrown(() => h.get(n)),
          thrown(() => h.has(n)), thrown(() => h.delete(n)), thrown(() => new Headers([[n, 'v']])),
        ];
      }
      for (const v of badValues) {
        out['value ' + JSON.stringify(v)] = [thrown(() => h.append('a', v)), thrown(() => h.set('a', v)), thrown(() => new Headers({ a: v }))];
      }
      out.latin1Ok = thrown(() => h.set('a', 'caf\\u00e9'));
      out.tokenOk = thrown(() => h.set("!#$%&'*+-.^_\`|~09azAZ", 'v'));
      return out;
    `);
    for (const [key, value] of Object.entries(r)) {
      if (key === 'latin1Ok' || key === 'tokenOk') assert.equal(value, 'no error', key);
      else assert.ok((value as string[]).every((v) => v === 'TypeError'), `${key}: ${JSON.stringify(value)}`);
    }
  });

  test('constructor accepts records, sequences and Headers, and rejects anything else', async () => {
    const r = await inIsolate(`
      const fromSeq = new Headers([['a', '1'], ['A', '2']]);
      const fromHeaders = new Headers(fromSeq);
      fromHeaders.set('a', 'changed');
      return {
        seq: fromSeq.get('a'), copyIsIndependent: fromSeq.get('a'), copy: fromHeaders.get('a'),
        record: new Headers({ b: 'x' }).get('b'),
        shortPair: thrown(() => new Headers([['a']])), longPair: thrown(() => new Headers([['a', 'b', 'c']])),
        stringInit: thrown(() => new Headers('a: b')), numberInit: thrown(() => new Headers(5)),
        notPairs: thrown(() => new Headers([1, 2])),
        toStringTag: Object.prototype.toString.call(new Headers()),
      };
    `);
    assert.deepEqual(r, {
      seq: '1, 2', copyIsIndependent: '1, 2', copy: 'changed', record: 'x',
      shortPair: 'TypeError', longPair: 'TypeError', stringInit: 'TypeError', numberInit: 'TypeError', notPairs: 'TypeError',
      toStringTag: '[object Headers]',
    });
  });

  test('iteration is sorted by name with values combined, via every iterator', async () => {
    const r = await inIsolate(`
      const h = new Headers([['b', '2'], ['A', '1'], ['c', '3'], ['a', '4']]);
      const seen = [];
      h.forEach(function (value, name, parent) { seen.push([name, value, parent === h, this.tag]); }, { tag: 't' });
      return { entries: [...h], viaEntries: [...h.entries()], keys: [...h.keys()], values: [...h.values()], seen };
    `);
    assert.deepEqual(r.entries, [['a', '1, 4'], ['b', '2'], ['c', '3']]);
    assert.deepEqual(r.viaEntries, r.entries);
    assert.deepEqual(r.keys, ['a', 'b', 'c']);
    assert.deepEqual(r.values, ['1, 4', '2', '3']);
    assert.deepEqual(r.seen, [['a', '1, 4', true, 't'], ['b', '2', true, 't'], ['c', '3', true, 't']]);
  });

  test('iteration sees changes made while iterating, step by step (WPT headers-basic)', async () => {
    const r = await inIsolate(`
      const run = (change) => {
        const h = new Headers([['foo', '1'], ['bar', '2'], ['baz', '3']]);
        const keys = [];
        for (const [name] of h) { keys.push(name); change(h, name); }
        return keys;
      };
      const it = new Headers({ a: '1' }).entries();
      return {
        removedAhead: run((h) => h.delete('foo')),
        removedBehind: run((h, name) => { if (name === 'baz') h.delete('bar'); }),
        appended: run((h, name) => { if (name === 'baz') h.append('X-yZ', '4'); }),
        prepended: run((h, name) => { if (name === 'baz') h.append('abc', '-1'); }),
        iterator: [Object.prototype.toString.call(it), typeof it[Symbol.iterator], it[Symbol.iterator]() === it,
          Object.getPrototypeOf(Object.getPrototypeOf(it)) === Object.getPrototypeOf(Object.getPrototypeOf([].values())),
          JSON.stringify(it.next()), JSON.stringify(it.next())],
      };
    `);
    assert.deepEqual(r.removedAhead, ['bar', 'baz']);
    assert.deepEqual(r.removedBehind, ['bar', 'baz']);
    assert.deepEqual(r.appended, ['bar', 'baz', 'foo', 'x-yz']);
    assert.deepEqual(r.prepended, ['bar', 'baz', 'baz', 'foo']);
    assert.deepEqual(r.iterator, ['[object Headers Iterator]', 'function', true, true, '{"value":["a","1"],"done":false}', '{"done":true}']);
  });

  test('getSetCookie keeps each Set-Cookie apart; get combines them', async () => {
    const r = await inIsolate(`
      const h = new Headers();
      const none = h.getSetCookie();
      h.append('Set-Cookie', 'a=1; Path=/');
      h.append('set-cookie', 'b=2');
      h.append('X', 'y');
      return { none, list: h.getSetCookie(), get: h.get('set-cookie'), entries: [...h] };
    `);
    assert.deepEqual(r.none, []);
    assert.deepEqual(r.list, ['a=1; Path=/', 'b=2']);
    assert.equal(r.get, 'a=1; Path=/, b=2');
    assert.deepEqual(r.entries, [['set-cookie', 'a=1; Path=/'], ['set-cookie', 'b=2'], ['x', 'y']]);
  });

  test('several Set-Cookie headers reach the client as separate header lines', async () => {
    const server = await startWorker(`export default { fetch() {
      const headers = new Headers({ 'content-type': 'text/plain' });
      headers.append('Set-Cookie', 'a=1; Path=/');
      headers.append('Set-Cookie', 'b=2; HttpOnly');
      const response = new Response('ok', { headers });
      response.headers.append('set-cookie', 'c=3');
      return response;
    } }`);
    try {
      const response = await server.fetch('/');
      assert.equal(await response.text(), 'ok');
      assert.deepEqual(response.headers.getSetCookie(), ['a=1; Path=/', 'b=2; HttpOnly', 'c=3']);
    } finally {
      await server.close();
    }
  });

  test("the incoming request's headers are immutable; a copy of them is not", async () => {
    const r = await inIsolate(`
      const h = request.headers;
      const copy = new Headers(h);
      copy.set('x-added', '1');
      return {
        set: thrown(() => h.set('x-a', '1')), append: thrown(() => h.append('x-a', '1')), delete: thrown(() => h.delete('host')),
        stillReadable: typeof h.get('host'), copy: copy.get('x-added'), copyHost: copy.get('host') === h.get('host'),
      };
    `);
    assert.deepEqual(r, { set: 'TypeError', append: 'TypeError', delete: 'TypeError', stillReadable: 'string', copy: '1', copyHost: true });
  });
});
