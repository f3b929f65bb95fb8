import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ControlError } from '../../src/host/control/control-error.js';
import { parseRoutePattern } from '../../src/host/control/route-pattern.js';
import { RouteTable } from '../../src/host/control/route-table.js';

const none = (): boolean => false;

function table(routes: Record<string, string>, devRoutes = false): RouteTable {
  return new RouteTable(Object.entries(routes).map(([pattern, worker]) => ({ pattern, worker })), { devRoutes });
}

describe('parseRoutePattern', () => {
  test('reads the parts and spells the pattern canonically', () => {
    assert.deepEqual(parseRoutePattern('https://*.Example.COM/images/*'), {
      text: 'https://*.example.com/images/*', scheme: 'https', hostWildcard: true, host: '.example.com', pathWildcard: true, path: '/images/',
    });
    assert.deepEqual(parseRoutePattern('*example.com/*'), {
      text: '*example.com/*', scheme: null, hostWildcard: true, host: 'example.com', pathWildcard: true, path: '/',
    });
    // "As with a URL, there is an implied path of / if you do not specify one."
    assert.equal(parseRoutePattern('example.com').text, 'example.com/');
    assert.equal(parseRoutePattern('HTTP://api.example.com/v1*').text, 'http://api.example.com/v1*');
    assert.equal(parseRoutePattern('example.com./Images/*').text, 'example.com/Images/*');
    assert.equal(parseRoutePattern('bücher.de/*').text, 'xn--bcher-kva.de/*');
    assert.equal(parseRoutePattern('example.com/café').text, 'example.com/caf%C3%A9');
  });

  const invalid: [string, RegExp][] = [
    ['', /empty/],
    ['example.com/*.jpg', /only at the end of the path/],
    ['example.com/?foo=*', /query string/],
    ['example.com/a#b', /query string or fragment/],
    ['ftp://example.com/*', /only http:\/\/ or https:\/\//],
    ['ex*ample.com/*', /first character of the host/],
    ['*/*', /must name a domain/],
    ['*', /must name a domain/],
    ['example.com:8080/*', /port/],
    ['user@example.com/*', /credentials/],
    ['exa mple.com/*', /whitespace/],
    ['a..b.com/*', /empty label/],
    ['.example.com/*', /empty label/],
    ['/path/*', /host is missing/],
    ['exa!mple.com/*', /may contain only letters/],
    [`${'a'.repeat(64)}.com/*`, /at most 63/],
    [`example.com/${'a'.repeat(2048)}`, /longer than 2048/],
  ];
  for (const [pattern, problem] of invalid) {
    test(`refuses ${JSON.stringify(pattern.length > 40 ? `${pattern.slice(0, 40)}...` : pattern)}`, () => {
      assert.throws(() => parseRoutePattern(pattern), (error: unknown) => {
        assert.ok(error instanceof ControlError);
        assert.equal(error.code, 'invalid_request');
        assert.match(error.message, /is not a valid route pattern: /);
        assert.match(error.message, problem);
        return true;
      });
    });
  }
});

describe('RouteTable: Cloudflare matching behaviour', () => {
  test('a leading * matches the host and every host ending in it; *. matches subdomains only', () => {
    const any = table({ '*example.com/*': 'any' });
    const subs = table({ '*.example.com/*': 'subs' });
    // The table in Cloudflare's routes documentation.
    assert.equal(any.match('example.com', '/', none), 'any');
    assert.equal(subs.match('example.com', '/', none), null);
    assert.equal(any.match('www.example.com', '/path', none), 'any');
    assert.equal(subs.match('www.example.com', '/path', none), 'subs');
    assert.equal(any.match('myexample.com', '/', none), 'any');
    assert.equal(subs.match('myexample.com', '/', none), null);
    assert.equal(any.match('example.org', '/', none), null);
    assert.equal(subs.match('a.b.example.com', '/', none), 'subs');
  });

  test('a pattern without a path matches only /, with no query string', () => {
    const routes = table({ 'example.com': 'root' });
    assert.equal(routes.match('example.com', '/', none), 'root');
    assert.equal(routes.match('example.com', '/x', none), null);
    assert.equal(routes.match('example.com', '/?a=1', none), null);
  });

  test('a trailing * matches every suffix of the path', () => {
    const routes = table({ 'example.com/path*': 'w' });
    assert.equal(routes.match('example.com', '/path', none), 'w');
    assert.equal(routes.match('example.com', '/path2', none), 'w');
    assert.equal(routes.match('example.com', '/path/readme.txt', none), 'w');
    assert.equal(routes.match('example.com', '/pat', none), null);
  });

  test('the query string takes part: only a trailing * lets a pattern match a URL with one', () => {
    // Cloudflare's example: /images/cat.png bypasses worker-script, /images/cat.png?foo=bar does not.
    const routes = table({ '*example.com/images/cat.png': 'cat', '*example.com/images/*': 'images' });
    assert.equal(routes.match('example.com', '/images/cat.png', none), 'cat');
    assert.equal(routes.match('example.com', '/images/cat.png?foo=bar', none), 'images');
    assert.equal(routes.match('example.com', '/images/dog.png', none), 'images');
  });

  test('the most specific pattern wins: exact host over wildcard, longer path over shorter', () => {
    const routes = table({ '*.example.com/*': 'wild', 'www.example.com/*': 'www', 'example.com/*': 'apex', 'example.com/hello/*': 'hello' });
    assert.equal(routes.match('www.example.com', '/', none), 'www');
    assert.equal(routes.match('api.example.com', '/', none), 'wild');
    assert.equal(routes.match('example.com', '/hello/world', none), 'hello');
    assert.equal(routes.match('example.com', '/hellothere', none), 'apex');
  });

  test('the host decides before the path (a.example.com/* over *.example.com/a)', () => {
    const routes = table({ '*.example.com/a': 'A', 'a.example.com/*': 'B' });
    assert.equal(routes.match('a.example.com', '/a', none), 'B');
    assert.equal(routes.match('b.example.com', '/a', none), 'A');
  });

  test('a host whose exact patterns miss the path falls through to wildcard hosts', () => {
    const routes = table({ 'www.example.com/api/*': 'api', '*.example.com/*': 'wild' });
    assert.equal(routes.match('www.example.com', '/api/x', none), 'api');
    assert.equal(routes.match('www.example.com', '/other', none), 'wild');
  });

  test('a longer wildcard suffix is more specific than a shorter one', () => {
    const routes = table({ '*example.com/*': 'loose', '*.example.com/*': 'subs', '*.api.example.com/*': 'api' });
    assert.equal(routes.match('www.example.com', '/', none), 'subs');
    assert.equal(routes.match('v1.api.example.com', '/', none), 'api');
    assert.equal(routes.match('example.com', '/', none), 'loose');
  });

  test('/images/* is more specific than /images* (Islet does not copy the documented bug)', () => {
    const routes = table({ 'example.com/images/*': 'A', 'example.com/images*': 'B' });
    assert.equal(routes.match('example.com', '/images/hello', none), 'A');
    assert.equal(routes.match('example.com', '/images', none), 'B');
    assert.equal(routes.match('example.com', '/images123', none), 'B');
  });

  test('an exact path beats a wildcard of the same length', () => {
    const routes = table({ 'example.com/a/': 'exact', 'example.com/a/*': 'wild' });
    assert.equal(routes.match('example.com', '/a/', none), 'exact');
    assert.equal(routes.match('example.com', '/a/b', none), 'wild');
  });

  test('a scheme in the pattern limits it to that scheme, and wins over the same pattern without one', () => {
    const routes = table({ 'https://*.example.com/': 'secure', 'example.com/*': 'both', 'http://example.com/*': 'plain' });
    assert.equal(routes.match('www.example.com', '/', none, 'https'), 'secure');
    assert.equal(routes.match('www.example.com', '/', none, 'http'), null);
    assert.equal(routes.match('www.example.com', '/', none), null, 'requests are plain HTTP unless the caller says otherwise');
    assert.equal(routes.match('example.com', '/x', none, 'http'), 'plain');
    assert.equal(routes.match('example.com', '/x', none, 'https'), 'both');
  });

  test('hosts match case-insensitively, without port or trailing dot; paths case-sensitively', () => {
    const routes = table({ 'api.example.com/Images/*': 'w' });
    assert.equal(routes.match('API.Example.COM:8443', '/Images/a.png', none), 'w');
    assert.equal(routes.match('api.example.com.', '/Images/a.png', none), 'w');
    assert.equal(routes.match('api.example.com', '/images/a.png', none), null);
    assert.equal(routes.match('[::1]:8787', '/Images/a.png', none), null);
    assert.equal(routes.match('', '/Images/a.png', none), null);
  });

  test('thousands of routes: every host reaches its own worker', () => {
    const routes: { pattern: string; worker: string }[] = [];
    for (let i = 0; i < 3000; i++) {
      routes.push({ pattern: `t${i}.example.com/*`, worker: `exact-${i}` });
      routes.push({ pattern: `*.t${i}.example.net/*`, worker: `wild-${i}` });
      routes.push({ pattern: `shared.example.org/p${i}/*`, worker: `path-${i}` });
    }
    const big = new RouteTable(routes, { devRoutes: false });
    for (const i of [0, 1, 999, 1234, 2999]) {
      assert.equal(big.match(`t${i}.example.com`, '/x', none), `exact-${i}`);
      assert.equal(big.match(`a.b.t${i}.example.net`, '/x', none), `wild-${i}`);
      assert.equal(big.match('shared.example.org', `/p${i}/x`, none), `path-${i}`);
    }
    assert.equal(big.match('t3000.example.com', '/x', none), null);
    assert.equal(big.match('t1.example.net', '/x', none), null);
  });
});

describe('RouteTable: dev routes', () => {
  const workers = new Set(['hello', 'api-2']);
  const isWorker = (name: string): boolean => workers.has(name);

  test('the first path segment names an existing worker when no pattern matches', () => {
    const routes = table({ 'example.com/*': 'site' }, true);
    assert.equal(routes.match('localhost:8787', '/hello', isWorker), 'hello');
    assert.equal(routes.match('localhost:8787', '/hello/', isWorker), 'hello');
    assert.equal(routes.match('localhost:8787', '/hello/a/b?c=d', isWorker), 'hello');
    assert.equal(routes.match('localhost:8787', '/hello?c=d', isWorker), 'hello');
    assert.equal(routes.match('localhost:8787', '/api-2/x', isWorker), 'api-2');
    assert.equal(routes.match('localhost:8787', '/helloo', isWorker), null);
    assert.equal(routes.match('localhost:8787', '/', isWorker), null);
    assert.equal(routes.match('example.com', '/hello', isWorker), 'site', 'a matching pattern wins');
  });

  test('only names a worker could have are looked up', () => {
    const asked: string[] = [];
    const routes = table({}, true);
    assert.equal(routes.match('h', '/Hello/x', (name) => { asked.push(name); return true; }), null);
    assert.equal(routes.match('h', '/%68ello', (name) => { asked.push(name); return true; }), null);
    assert.deepEqual(asked, []);
  });

  test('a host that any pattern names is served by its routes only, never by /<worker-name>/', () => {
    const routes = table({ 'shop.example.com/api/*': 'shop', '*.tenant.example/*': 'tenant' }, true);
    assert.equal(routes.match('shop.example.com', '/hello/x', isWorker), null, 'another worker must not answer on the shop\'s domain');
    assert.equal(routes.match('a.tenant.example', '/hello/x', isWorker), 'tenant');
    assert.equal(routes.match('localhost', '/hello/x', isWorker), 'hello', 'hosts no pattern names keep the development route');
  });

  test('off unless asked for', () => {
    assert.equal(table({}).match('localhost', '/hello', isWorker), null);
  });
});
