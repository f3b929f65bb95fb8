// URLPattern (https://urlpattern.spec.whatwg.org/) inside a real isolate: matching, groups, component
// patterns, and the lazy global that loads the implementation on first use.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { inIsolate } from './harness.js';

describe('URLPattern', () => {
  test('the global is a lazy accessor until first touched, then a plain writable property', async () => {
    const r = await inIsolate(`
      const before = Object.getOwnPropertyDescriptor(globalThis, 'URLPattern');
      const ctor = URLPattern;
      const after = Object.getOwnPropertyDescriptor(globalThis, 'URLPattern');
      return { before: [typeof before.get, before.enumerable], after: [after.value === ctor, after.writable, after.enumerable, after.configurable],
        name: ctor.name, tag: Object.prototype.toString.call(new URLPattern({})) };
    `);
    assert.deepEqual(r, { before: ['function', false], after: [true, true, false, true], name: 'URLPattern', tag: '[object URLPattern]' });
  });

  test('named groups, regexp groups, wildcards and modifiers in the pathname', async () => {
    const r = await inIsolate(`
      const books = new URLPattern({ pathname: '/books/:id' });
      const m = books.exec('https://example.com/books/123');
      const numeric = new URLPattern({ pathname: '/posts/:post(\\\\d+)' });
      const files = new URLPattern({ pathname: '/files/*' });
      const optional = new URLPattern({ pathname: '/users/:user/:tab?' });
      const repeated = new URLPattern({ pathname: '/tags/:tag+' });
      return {
        match: [m.pathname.input, m.pathname.groups, m.hostname.groups, books.test('https://example.com/books/123')],
        miss: [books.exec('https://example.com/authors/1'), books.test('https://example.com/books/1/extra')],
        numeric: [numeric.test('https://a.test/posts/42'), numeric.test('https://a.test/posts/abc'), numeric.exec('https://a.test/posts/7').pathname.groups.post],
        wildcard: files.exec('https://a.test/files/a/b/c.txt').pathname.groups['0'],
        optional: [optional.exec('https://a.test/users/ann').pathname.groups, optional.exec('https://a.test/users/ann/posts').pathname.groups.tab],
        repeated: repeated.exec('https://a.test/tags/x/y').pathname.groups.tag,
      };
    `);
    assert.deepEqual(r, {
      match: ['/books/123', { id: '123' }, { 0: 'example.com' }, true],
      miss: [null, false],
      numeric: [true, false, '7'],
      wildcard: 'a/b/c.txt',
      optional: [{ user: 'ann' }, 'posts'],
      repeated: 'x/y',
    });
  });

  test('constructor strings with a base URL, component patterns, and inputs as objects', async () => {
    const r = await inIsolate(`
      const p = new URLPattern('/api/:version/*', 'https://example.com');
      const host = new URLPattern({ hostname: '{:sub.}?example.com', protocol: 'http{s}?' });
      const full = new URLPattern('https://:tenant.example.com/items/:item\\\\?q=:query#:frag');
      const m = full.exec('https://acme.example.com/items/9?q=shoes#top');
      return {
        components: [p.protocol, p.hostname, p.pathname, p.search, p.port],
        base: [p.test('https://example.com/api/v1/users'), p.test('https://other.com/api/v1/users'), p.exec('https://example.com/api/v2/x/y').pathname.groups],
        relative: p.test('/api/v1/z', 'https://example.com'),
        host: [host.exec('https://shop.example.com/').hostname.groups.sub, host.test('http://example.com/'), host.test('ftp://example.com/')],
        full: [m.hostname.groups.tenant, m.pathname.groups.item, m.search.groups.query, m.hash.groups.frag],
        object: new URLPattern({ pathname: '/x/:y' }).exec({ pathname: '/x/z' }).pathname.groups.y,
        inputs: p.exec('https://example.com/api/v1/').inputs,
      };
    `);
    assert.deepEqual(r, {
      components: ['https', 'example.com', '/api/:version/*', '*', ''],
      base: [true, false, { version: 'v2', 0: 'x/y' }],
      relative: true,
      host: ['shop', true, false],
      full: ['acme', '9', 'shoes', 'top'],
      object: 'z',
      inputs: ['https://example.com/api/v1/'],
    });
  });

  test('invalid patterns, and a base URL with an object input, are TypeErrors', async () => {
    const r = await inIsolate(`
      return [thrown(() => new URLPattern({ pathname: '/(' })), thrown(() => new URLPattern('/relative/without/base')),
        thrown(() => new URLPattern({ pathname: ':a:a' })), thrown(() => new URLPattern({ pathname: '/x' }).test({ pathname: '/x' }, 'https://base.example')),
        // A string input that does not parse is no match, not an error.
        new URLPattern({ pathname: '/x' }).test('/no/base')];
    `);
    assert.deepEqual(r, ['TypeError', 'TypeError', 'TypeError', 'TypeError', false]);
  });
});

describe('URLPattern pathname canonicalization', () => {
  test('a path that starts with // stays a path: it cannot smuggle a host past a route', async () => {
    // URL Standard: "//evil.test/users/1" after an authority is a pathname; canonicalizing a pathname
    // sets it on a dummy URL (https://urlpattern.spec.whatwg.org/#canonicalize-a-pathname).
    const r = await inIsolate(`
      const route = new URLPattern({ pathname: '/users/:id' });
      return {
        smuggled: route.exec('http://a//evil.test/users/1'),
        smuggledUrl: route.test(new URL('http://a//evil.test/users/1')),
        plain: route.exec('http://a/users/1')?.pathname.groups.id,
        doubleSlashPattern: new URLPattern({ pathname: '//x/:id' }).exec('http://a//x/7')?.pathname.groups.id,
      };
    `);
    assert.deepEqual(r, { smuggled: null, smuggledUrl: false, plain: '1', doubleSlashPattern: '7' });
  });
});
