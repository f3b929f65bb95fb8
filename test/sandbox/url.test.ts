// URL and URLSearchParams inside a real isolate, against https://url.spec.whatwg.org/.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { inIsolate } from './harness.js';

describe('URL', () => {
  test('parses into its components', async () => {
    const r = await inIsolate(`
      const u = new URL('HTTPS://user:p%40ss@Example.COM:8080/a/../b/./c d?x=1&y=\\u00e9#fr ag');
      return [u.href, u.origin, u.protocol, u.username, u.password, u.host, u.hostname, u.port, u.pathname, u.search, u.hash,
        String(u), u.toJSON(), JSON.stringify({ u }), Object.prototype.toString.call(u)];
    `);
    assert.deepEqual(r, [
      'https://user:p%40ss@example.com:8080/b/c%20d?x=1&y=%C3%A9#fr%20ag', 'https://example.com:8080', 'https:', 'user', 'p%40ss',
      'example.com:8080', 'example.com', '8080', '/b/c%20d', '?x=1&y=%C3%A9', '#fr%20ag',
      'https://user:p%40ss@example.com:8080/b/c%20d?x=1&y=%C3%A9#fr%20ag', 'https://user:p%40ss@example.com:8080/b/c%20d?x=1&y=%C3%A9#fr%20ag',
      '{"u":"https://user:p%40ss@example.com:8080/b/c%20d?x=1&y=%C3%A9#fr%20ag"}', '[object URL]',
    ]);
  });

  test('resolves against base URLs given as strings or URL objects', async () => {
    const r = await inIsolate(`
      const base = new URL('https://a.example/b/c/d?q#h');
      return {
        dotdot: new URL('../e?f', 'https://a.example/b/c/').href,
        schemeRelative: new URL('//other.example/x', base).href,
        query: new URL('?z', base).href, fragment: new URL('#y', base).href, empty: new URL('', base).href,
        absoluteIgnoresBase: new URL('http://x.example/', base).href,
        defaultPort: new URL('https://a.example:443/').port, stringifiable: new URL({ toString: () => 'https://s.example/' }).href,
        badBase: thrown(() => new URL('x', 'not a base')), relativeNoBase: thrown(() => new URL('/x')),
      };
    `);
    assert.deepEqual(r, {
      dotdot: 'https://a.example/b/e?f', schemeRelative: 'https://other.example/x', query: 'https://a.example/b/c/d?z',
      fragment: 'https://a.example/b/c/d?q#y', empty: 'https://a.example/b/c/d?q', absoluteIgnoresBase: 'http://x.example/',
      defaultPort: '', stringifiable: 'https://s.example/', badBase: 'TypeError', relativeNoBase: 'TypeError',
    });
  });

  test('invalid URLs throw TypeError; canParse and parse answer without throwing', async () => {
    const r = await inIsolate(`
      const bad = ['', 'not a url', 'http://[::1', 'https://exa mple.com', 'http://a:99999/', 'https://\\u0000x/'];
      return {
        ctor: bad.map((s) => thrown(() => new URL(s))), noArgs: thrown(() => new URL()),
        canParse: [URL.canParse('https://a/'), URL.canParse('x', 'https://a/'), URL.canParse('x'), ...bad.map((s) => URL.canParse(s))],
        parse: [URL.parse('x', 'https://a/b').href, URL.parse('nope'), URL.parse('https://a/') instanceof URL],
      };
    `);
    assert.deepEqual(r.ctor, ['TypeError', 'TypeError', 'TypeError', 'TypeError', 'TypeError', 'TypeError']);
    assert.equal(r.noArgs, 'TypeError');
    assert.deepEqual(r.canParse, [true, true, false, false, false, false, false, false, false]);
    assert.deepEqual(r.parse, ['https://a/x', null, true]);
  });

  test('setters apply the spec setter algorithms and ignore invalid values', async () => {
    const r = await inIsolate(`
      const u = new URL('https://a.example/p?q#h');
      const log = [];
      const set = (key, value) => { u[key] = value; log.push(u.href); };
      set('protocol', 'http'); set('username', 'me'); set('password', 'pw'); set('host', 'b.example:81');
      set('hostname', 'c.example'); set('port', '80'); set('port', '8080'); set('pathname', 'x y/z');
      set('search', 'a=1'); set('hash', 'top'); set('search', ''); set('hash', '');
      set('protocol', 'foo'); set('port', 'abc'); set('hostname', 'bad host');
      return { log, badHref: thrown(() => { u.href = 'no scheme'; }), afterBad: u.href };
    `);
    assert.deepEqual(r.log, [
      'http://a.example/p?q#h', 'http://me@a.example/p?q#h', 'http://me:pw@a.example/p?q#h', 'http://me:pw@b.example:81/p?q#h',
      'http://me:pw@c.example:81/p?q#h', 'http://me:pw@c.example/p?q#h', 'http://me:pw@c.example:8080/p?q#h',
      'http://me:pw@c.example:8080/x%20y/z?q#h', 'http://me:pw@c.example:8080/x%20y/z?a=1#h',
      'http://me:pw@c.example:8080/x%20y/z?a=1#top', 'http://me:pw@c.example:8080/x%20y/z#top', 'http://me:pw@c.example:8080/x%20y/z',
      'http://me:pw@c.example:8080/x%20y/z', 'http://me:pw@c.example:8080/x%20y/z', 'http://me:pw@c.example:8080/x%20y/z',
    ]);
    assert.deepEqual([r.badHref, r.afterBad], ['TypeError', 'http://me:pw@c.example:8080/x%20y/z']);
  });

  test('searchParams and the URL stay linked both ways', async () => {
    const r = await inIsolate(`
      const u = new URL('https://a.example/?x=1&y=2');
      const params = u.searchParams;
      const same = u.searchParams === params;
      params.append('z', 'a b&c');
      const afterAppend = u.href;
      u.search = '?k=v';
      const afterSearch = [...params];
      u.href = 'https://b.example/?m=n';
      const afterHref = [...params];
      params.delete('m');
      const afterDeleteAll = [u.href, u.search];
      const opaque = new URL('data:space    ?test');
      opaque.searchParams.delete('test');
      const sorted = new URL('https://a.example/?b=%20&a=1');
      sorted.searchParams.sort();
      return { same, afterAppend, afterSearch, afterHref, afterDeleteAll, opaque: [opaque.href, opaque.pathname, opaque.search], sorted: sorted.href };
    `);
    assert.deepEqual(r, {
      same: true, afterAppend: 'https://a.example/?x=1&y=2&z=a+b%26c', afterSearch: [['k', 'v']], afterHref: [['m', 'n']],
      afterDeleteAll: ['https://b.example/', ''],
      // The current standard percent-encodes the space before a query in an opaque path instead of
      // stripping trailing spaces later (setters_tests.json "Trailing spaces and opaque paths").
      opaque: ['data:space   %20', 'space   %20', ''], sorted: 'https://a.example/?a=1&b=+',
    });
  });
});

describe('URLSearchParams', () => {
  test('constructs from strings, records, sequences and other URLSearchParams', async () => {
    const r = await inIsolate(`
      const source = new URLSearchParams('a=1');
      const copy = new URLSearchParams(source);
      copy.append('b', '2');
      return {
        leadingQ: new URLSearchParams('?a=b').toString(), doubleQ: [...new URLSearchParams('??a=b')],
        decode: [...new URLSearchParams('a=b+c&d=%41%zz&e&=f&&g=h=i')],
        record: [...new URLSearchParams({ x: '1', y: 2 })], sequence: new URLSearchParams([['a', '1'], ['a', '2']]).getAll('a'),
        copy: [source.toString(), copy.toString()], nullInit: new URLSearchParams(null).toString(), empty: new URLSearchParams().toString(),
        badPair: thrown(() => new URLSearchParams([['a']])), loneSurrogate: [...new URLSearchParams([['\\ud800', 'x']])][0][0],
      };
    `);
    assert.equal(r.leadingQ, 'a=b');
    assert.deepEqual(r.doubleQ, [['?a', 'b']]);
    assert.deepEqual(r.decode, [['a', 'b c'], ['d', 'A%zz'], ['e', ''], ['', 'f'], ['g', 'h=i']]);
    assert.deepEqual(r.record, [['x', '1'], ['y', '2']]);
    assert.deepEqual(r.sequence, ['1', '2']);
    assert.deepEqual(r.copy, ['a=1', 'a=1&b=2']);
    assert.equal(r.nullInit, 'null=');
    assert.equal(r.empty, '');
    assert.equal(r.badPair, 'TypeError');
    assert.equal(r.loneSurrogate, '\ufffd');
  });

  test('get, getAll, has, set, delete (with values), size, sort and serialization', async () => {
    const r = await inIsolate(`
      const p = new URLSearchParams('a=1&b=2&a=3&c=4');
      const out = { get: [p.get('a'), p.get('zz')], getAll: p.getAll('a'), has: [p.has('a'), p.has('a', '3'), p.has('a', '9'), p.has('q')], size: p.size };
      p.set('a', 'x');
      out.set = p.toString();
      p.append('c', '5');
      p.delete('c', '4');
      out.deleteValue = p.toString();
      p.delete('c');
      out.delete = p.toString();
      const s = new URLSearchParams('z=b&a=b&z=a&a=a');
      s.sort();
      out.sort = s.toString();
      const u = new URLSearchParams([['\\ufffd', 'x'], ['\\ud83d\\ude00', 'y']]);
      u.sort();
      out.codeUnitSort = [...u.keys()];
      out.serialize = new URLSearchParams({ 'a b': "c+d&\\u00e9*-._~!'()" }).toString();
      const seen = [];
      p.forEach((value, key, parent) => seen.push([key, value, parent === p]));
      out.forEach = seen;
      out.iterators = [[...p.keys()], [...p.values()], [...p.entries()]];
      out.toStringTag = Object.prototype.toString.call(p);
      return out;
    `);
    assert.deepEqual(r.get, ['1', null]);
    assert.deepEqual(r.getAll, ['1', '3']);
    assert.deepEqual(r.has, [true, true, false, false]);
    assert.equal(r.size, 4);
    assert.equal(r.set, 'a=x&b=2&c=4');
    assert.equal(r.deleteValue, 'a=x&b=2&c=5');
    assert.equal(r.delete, 'a=x&b=2');
    assert.equal(r.sort, 'a=b&a=a&z=b&z=a');
    assert.deepEqual(r.codeUnitSort, ['😀', '\ufffd']);
    assert.equal(r.serialize, 'a+b=c%2Bd%26%C3%A9*-._%7E%21%27%28%29');
    assert.deepEqual(r.forEach, [['a', 'x', true], ['b', '2', true]]);
    assert.deepEqual(r.iterators, [['a', 'b'], ['x', '2'], [['a', 'x'], ['b', '2']]]);
    assert.equal(r.toStringTag, '[object URLSearchParams]');
  });
});
