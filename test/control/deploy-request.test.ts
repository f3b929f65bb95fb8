import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ControlError } from '../../src/host/control/control-error.js';
import { parseDeployRequest, parseRollbackRequest, parseSplitRequest } from '../../src/host/control/deploy-request.js';

const CODE = "export default { fetch() { return new Response('hi') } }";
const ID_A = '3f2b8c1e-5d4a-4f6b-9c7d-1a2b3c4d5e6f';
const ID_B = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';

function rejects(run: () => unknown, message: string | RegExp): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof ControlError, `expected a ControlError, got ${String(error)}`);
    assert.equal(error.code, 'invalid_request');
    if (typeof message === 'string') assert.ok(error.message.startsWith(message), `"${error.message}" should start with "${message}"`);
    else assert.match(error.message, message);
    return true;
  });
}

const deploy = (fields: Record<string, unknown>): unknown => ({ code: CODE, ...fields });
const withConfig = (config: Record<string, unknown>): unknown => deploy({ config });

describe('parseDeployRequest', () => {
  test('reads the documented example', () => {
    const request = parseDeployRequest({
      code: CODE,
      sourceMap: null,
      tenant: 'acme',
      message: 'first deploy',
      config: {
        compatibilityDate: '2025-01-01',
        vars: { GREETING: 'hello' },
        kvNamespaces: [{ binding: 'CACHE', id: 'cache' }],
        limits: { cpuMs: 50, memoryMb: 128, wallMs: 30000, subrequests: 50, concurrency: 64, queue: 256, ratePerSecond: 0 },
        routes: ['api.example.com/*', '*.example.org/v1/*'],
      },
      percent: 100,
      sticky: { header: 'x-user-id' },
    });
    assert.deepEqual(request, {
      code: CODE,
      sourceMap: null,
      tenant: 'acme',
      message: 'first deploy',
      config: {
        compatibilityDate: '2025-01-01',
        vars: { GREETING: 'hello' },
        kvNamespaces: [{ binding: 'CACHE', id: 'cache' }],
        limits: { cpuMs: 50, memoryMb: 128, wallMs: 30000, subrequests: 50, concurrency: 64, queue: 256, ratePerSecond: 0 },
      },
      routes: ['api.example.com/*', '*.example.org/v1/*'],
      percent: 100,
      sticky: { header: 'x-user-id' },
    });
  });

  test('every binding kind together; an env name is used once across all of them', () => {
    const config = {
      kvNamespaces: [{ binding: 'CACHE', id: 'cache' }],
      analyticsEngineDatasets: [{ binding: 'ANALYTICS', dataset: 'requests' }],
      services: [{ binding: 'AUTH', service: 'auth' }],
      durableObjects: [{ binding: 'ROOMS', className: 'ChatRoom' }],
      durableObjectMigrations: [{ tag: 'v1', newClasses: ['ChatRoom'] }],
      queues: { producers: [{ binding: 'JOBS', queue: 'jobs' }], consumers: [{ queue: 'jobs' }] },
      crons: ['*/5 * * * *'],
    };
    const parsed = parseDeployRequest(withConfig(config)).config;
    assert.deepEqual(parsed.analyticsEngineDatasets, config.analyticsEngineDatasets);
    assert.deepEqual(parsed.services, config.services);
    assert.deepEqual(parsed.durableObjects, config.durableObjects);
    assert.deepEqual(parsed.crons, config.crons);
    assert.deepEqual(parsed.queues?.producers, [{ binding: 'JOBS', queue: 'jobs' }]);
    // Cloudflare's consumer defaults: batches of 10, 5 s, 3 retries, no dead-letter queue.
    assert.deepEqual(parsed.queues?.consumers.map((c) => [c.queue, c.maxBatchSize, c.maxBatchTimeoutMs, c.maxRetries, c.deadLetterQueue]), [['jobs', 10, 5000, 3, null]]);
    // One env, one namespace of names: each kind's binding collides with a KV binding of the same name.
    const clash = (extra: Record<string, unknown>, field: string) =>
      rejects(() => parseDeployRequest(withConfig({ kvNamespaces: [{ binding: 'X', id: 'x' }], ...extra })), `${field}: "X" is already used by config.kvNamespaces[0].binding`);
    clash({ analyticsEngineDatasets: [{ binding: 'X', dataset: 'd' }] }, 'config.analyticsEngineDatasets[0].binding');
    clash({ services: [{ binding: 'X', service: 's' }] }, 'config.services[0].binding');
    clash({ durableObjects: [{ binding: 'X', className: 'C' }] }, 'config.durableObjects[0].binding');
  });

  test('only code is required; the rest has defaults', () => {
    assert.deepEqual(parseDeployRequest({ code: CODE }), {
      code: CODE,
      sourceMap: null,
      tenant: null,
      message: null,
      config: { compatibilityDate: null, vars: {}, kvNamespaces: [], limits: {} },
      routes: null,
      percent: 100,
      sticky: null,
    });
  });

  test('normalizes what has one spelling: routes, sticky header names', () => {
    const request = parseDeployRequest(deploy({ config: { routes: ['API.Example.com', 'https://X.com/a*'] }, sticky: { header: 'X-User-Id' }, percent: 10 }));
    assert.deepEqual(request.routes, ['api.example.com/', 'https://x.com/a*']);
    assert.deepEqual(request.sticky, { header: 'x-user-id' });
    assert.deepEqual(parseDeployRequest(deploy({ sticky: { cookie: 'Session' } })).sticky, { cookie: 'Session' });
    assert.equal(parseDeployRequest(deploy({ sticky: null })).sticky, null);
  });

  test('vars keep JSON values, copied', () => {
    const nested = { list: [1, 'two', null, { deep: true }] };
    const request = parseDeployRequest(withConfig({ vars: { A: 'x', B: 2, C: false, D: nested, E: [1, 2] } }));
    assert.deepEqual(request.config.vars, { A: 'x', B: 2, C: false, D: nested, E: [1, 2] });
    assert.notEqual(request.config.vars['D'], nested);
  });

  test('accepts a source map and sizes at their bounds', () => {
    const map = JSON.stringify({ version: 3, sources: ['a.ts'], mappings: 'AAAA' });
    assert.equal(parseDeployRequest(deploy({ sourceMap: map })).sourceMap, map);
    assert.equal(parseDeployRequest(deploy({ message: 'm'.repeat(1000) })).message, 'm'.repeat(1000));
    assert.equal(parseDeployRequest(withConfig({ vars: { V: 'v'.repeat(5120) } })).config.vars['V'], 'v'.repeat(5120));
    const limits = { cpuMs: 300000, wallMs: 900000, memoryMb: 4096, subrequests: 10000, concurrency: 10000, queue: 100000, ratePerSecond: 1000000 };
    assert.deepEqual(parseDeployRequest(withConfig({ limits })).config.limits, limits);
    const lows = { cpuMs: 1, wallMs: 1, memoryMb: 8, subrequests: 0, concurrency: 1, queue: 0, ratePerSecond: 0 };
    assert.deepEqual(parseDeployRequest(withConfig({ limits: lows })).config.limits, lows);
  });

  test('code: a non-empty string of at most 25 MiB', () => {
    rejects(() => parseDeployRequest({}), 'code: must be a non-empty string');
    rejects(() => parseDeployRequest({ code: '' }), 'code: must be a non-empty string');
    rejects(() => parseDeployRequest({ code: 42 }), 'code: must be a non-empty string');
    rejects(() => parseDeployRequest({ code: 'x'.repeat(25 * 1024 * 1024 + 1) }), 'code: is larger than 25 MiB');
    // Counted in UTF-8 bytes, as it is stored and sent.
    rejects(() => parseDeployRequest({ code: 'é'.repeat(13 * 1024 * 1024) }), 'code: is larger than 25 MiB');
    assert.equal(parseDeployRequest({ code: 'x'.repeat(25 * 1024 * 1024) }).code.length, 25 * 1024 * 1024);
  });

  test('the body and its fields', () => {
    rejects(() => parseDeployRequest(null), 'body: must be a JSON object');
    rejects(() => parseDeployRequest([CODE]), 'body: must be a JSON object');
    rejects(() => parseDeployRequest(deploy({ persent: 50 })), 'persent: unknown field');
    rejects(() => parseDeployRequest(deploy({ tenant: 'Acme' })), 'tenant: must be 1 to 63 lower-case letters');
    rejects(() => parseDeployRequest(deploy({ tenant: '-acme' })), 'tenant: ');
    rejects(() => parseDeployRequest(deploy({ tenant: 'a'.repeat(64) })), 'tenant: ');
    rejects(() => parseDeployRequest(deploy({ message: 'm'.repeat(1001) })), 'message: must be a string of at most 1000');
    rejects(() => parseDeployRequest(deploy({ message: 7 })), 'message: ');
    rejects(() => parseDeployRequest(deploy({ sourceMap: 'not json' })), 'sourceMap: must be a source map');
    rejects(() => parseDeployRequest(deploy({ sourceMap: '{"version":3}' })), 'sourceMap: must be a source map');
    rejects(() => parseDeployRequest(deploy({ sourceMap: { mappings: '' } })), 'sourceMap: must be null or the source map as JSON text');
  });

  test('percent: a whole number from 1 to 100', () => {
    for (const percent of [0, 101, 1.5, '50', null, -1]) rejects(() => parseDeployRequest(deploy({ percent })), 'percent: must be a whole number from 1 to 100');
    assert.equal(parseDeployRequest(deploy({ percent: 1 })).percent, 1);
  });

  test('sticky: null, a header name or a cookie name', () => {
    for (const sticky of [{}, { header: 'x', cookie: 'y' }, { header: '' }, { header: 'bad header' }, { cookie: 'a;b' }, { query: 'x' }, 'x-user', { header: 5 }]) {
      rejects(() => parseDeployRequest(deploy({ sticky })), 'sticky: must be null, {"header"');
    }
  });

  test('config: its fields', () => {
    rejects(() => parseDeployRequest(withConfig({ route: [] })), 'config.route: unknown field');
    rejects(() => parseDeployRequest(deploy({ config: [] })), 'config: must be a JSON object');
    rejects(() => parseDeployRequest(withConfig({ compatibilityDate: '2025-02-30' })), 'config.compatibilityDate: must be null or a date');
    rejects(() => parseDeployRequest(withConfig({ compatibilityDate: '2025-1-1' })), 'config.compatibilityDate: ');
    rejects(() => parseDeployRequest(withConfig({ compatibilityDate: 20250101 })), 'config.compatibilityDate: ');
  });

  test('config.vars: identifiers with JSON values of at most 5 KiB', () => {
    rejects(() => parseDeployRequest(withConfig({ vars: [] })), 'config.vars: must be a JSON object');
    rejects(() => parseDeployRequest(withConfig({ vars: { 'MY-VAR': 'x' } })), 'config.vars.MY-VAR: "MY-VAR" is not a valid JavaScript identifier');
    rejects(() => parseDeployRequest(withConfig({ vars: JSON.parse('{"__proto__": "x"}') as unknown })), 'config.vars.__proto__: ');
    rejects(() => parseDeployRequest(withConfig({ vars: { A: null } })), 'config.vars.A: must be a string, number, boolean');
    rejects(() => parseDeployRequest(withConfig({ vars: { A: { f: () => 1 } } })), 'config.vars.A: must be');
    rejects(() => parseDeployRequest(withConfig({ vars: { A: { n: Number.NaN } } })), 'config.vars.A: must be');
    rejects(() => parseDeployRequest(withConfig({ vars: { A: new Date() } })), 'config.vars.A: must be');
    rejects(() => parseDeployRequest(withConfig({ vars: { A: 'v'.repeat(5121) } })), 'config.vars.A: is larger than 5 KiB');
    rejects(() => parseDeployRequest(withConfig({ vars: { A: 'é'.repeat(2561) } })), 'config.vars.A: is larger than 5 KiB');
    rejects(() => parseDeployRequest(withConfig({ vars: { A: { text: 'v'.repeat(5120) } } })), 'config.vars.A: is larger than 5 KiB');
  });

  test('config.kvNamespaces: identifier bindings unique among bindings and vars, ids of 1 to 64 safe characters', () => {
    const kv = (kvNamespaces: unknown, vars: unknown = {}): unknown => withConfig({ kvNamespaces, vars });
    rejects(() => parseDeployRequest(kv({})), 'config.kvNamespaces: must be an array');
    rejects(() => parseDeployRequest(kv([null])), 'config.kvNamespaces[0]: must be a JSON object');
    rejects(() => parseDeployRequest(kv([{ binding: 'CACHE', id: 'a', preview_id: 'b' }])), 'config.kvNamespaces[0].preview_id: unknown field');
    rejects(() => parseDeployRequest(kv([{ binding: 7, id: 'a' }])), 'config.kvNamespaces[0].binding: must be a string');
    rejects(() => parseDeployRequest(kv([{ binding: '1CACHE', id: 'a' }])), 'config.kvNamespaces[0].binding: "1CACHE" is not a valid JavaScript identifier');
    rejects(() => parseDeployRequest(kv([{ binding: 'A', id: 'a' }, { binding: 'A', id: 'b' }])), 'config.kvNamespaces[1].binding: "A" is already used by config.kvNamespaces[0].binding');
    rejects(() => parseDeployRequest(kv([{ binding: 'A', id: 'a' }], { A: 'x' })), 'config.kvNamespaces[0].binding: "A" is already used by config.vars.A');
    for (const id of ['', 'a/b', 'a.b', 'x'.repeat(65), 7]) {
      rejects(() => parseDeployRequest(kv([{ binding: 'A', id }])), 'config.kvNamespaces[0].id: must be 1 to 64 letters');
    }
    assert.deepEqual(parseDeployRequest(kv([{ binding: '$kv_1', id: 'A-z_0'.padEnd(64, '9') }])).config.kvNamespaces, [{ binding: '$kv_1', id: 'A-z_0'.padEnd(64, '9') }]);
  });

  test('config.limits: whole numbers in their ranges, known names only', () => {
    const out: [string, unknown][] = [
      ['cpuMs', 0], ['cpuMs', 300001], ['cpuMs', 1.5], ['cpuMs', '50'], ['wallMs', 0], ['wallMs', 900001],
      ['memoryMb', 7], ['memoryMb', 4097], ['subrequests', -1], ['subrequests', 10001], ['concurrency', 0],
      ['concurrency', 10001], ['queue', -1], ['queue', 100001], ['ratePerSecond', -1], ['ratePerSecond', 1000001],
    ];
    for (const [name, value] of out) {
      rejects(() => parseDeployRequest(withConfig({ limits: { [name]: value } })), `config.limits.${name}: must be a whole number from`);
    }
    rejects(() => parseDeployRequest(withConfig({ limits: { cpu_ms: 50 } })), 'config.limits.cpu_ms: unknown field');
  });

  test('config.routes: valid patterns, none twice (compared canonically)', () => {
    rejects(() => parseDeployRequest(withConfig({ routes: 'example.com/*' })), 'config.routes: must be an array');
    rejects(() => parseDeployRequest(withConfig({ routes: [7] })), 'config.routes[0]: must be a string');
    rejects(() => parseDeployRequest(withConfig({ routes: ['example.com/*.jpg'] })), /^config\.routes\[0\]: "example\.com\/\*\.jpg" is not a valid route pattern: a wildcard/);
    rejects(() => parseDeployRequest(withConfig({ routes: ['example.com/*', 'EXAMPLE.com/*'] })), 'config.routes[1]: repeats config.routes[0] (example.com/*)');
    rejects(() => parseDeployRequest(withConfig({ routes: ['example.com', 'example.com/'] })), 'config.routes[1]: repeats config.routes[0]');
  });

  test('routes are the worker\'s, not the version\'s: a body without them says to keep the worker\'s', () => {
    const request = parseDeployRequest(withConfig({ routes: ['a.example.com/*'] }));
    assert.deepEqual(request.routes, ['a.example.com/*']);
    assert.equal('routes' in request.config, false, 'the version stores no routes');
    assert.equal(parseDeployRequest(withConfig({})).routes, null);
    assert.equal(parseDeployRequest(withConfig({ routes: null })).routes, null);
    assert.deepEqual(parseDeployRequest(withConfig({ routes: [] })).routes, [], 'an explicit empty list removes them');
  });
});

describe('parseSplitRequest', () => {
  test('versions with percentages adding up to 100; sticky absent means unchanged', () => {
    assert.deepEqual(parseSplitRequest({ versions: [{ id: ID_A, percent: 30 }, { id: ID_B.toUpperCase(), percent: 70 }] }), {
      versions: [{ id: ID_A, percent: 30 }, { id: ID_B, percent: 70 }],
    });
    assert.deepEqual(parseSplitRequest({ versions: [{ id: ID_A, percent: 100 }], sticky: null }), { versions: [{ id: ID_A, percent: 100 }], sticky: null });
    assert.deepEqual(parseSplitRequest({ versions: [{ id: ID_A, percent: 100 }], sticky: { cookie: 'sid' } }).sticky, { cookie: 'sid' });
  });

  test('refuses bad splits', () => {
    rejects(() => parseSplitRequest({}), 'versions: must be a non-empty array');
    rejects(() => parseSplitRequest({ versions: [] }), 'versions: must be a non-empty array');
    rejects(() => parseSplitRequest({ versions: [{ id: ID_A, percent: 50 }] }), 'versions: percentages must add up to 100, not 50');
    rejects(() => parseSplitRequest({ versions: [{ id: ID_A, percent: 60 }, { id: ID_B, percent: 60 }] }), 'versions: percentages must add up to 100, not 120');
    rejects(() => parseSplitRequest({ versions: [{ id: ID_A, percent: 50 }, { id: ID_A, percent: 50 }] }), `versions[1].id: lists version ${ID_A} a second time`);
    rejects(() => parseSplitRequest({ versions: [{ id: 'v1', percent: 100 }] }), 'versions[0].id: must be a version id');
    rejects(() => parseSplitRequest({ versions: [{ id: ID_A, percent: 0 }, { id: ID_B, percent: 100 }] }), 'versions[0].percent: must be a whole number from 1 to 100');
    rejects(() => parseSplitRequest({ versions: [{ id: ID_A, percent: 100, weight: 1 }] }), 'versions[0].weight: unknown field');
    rejects(() => parseSplitRequest({ versions: [{ id: ID_A, percent: 100 }], sticky: { header: '' } }), 'sticky: ');
    rejects(() => parseSplitRequest({ versions: [{ id: ID_A, percent: 100 }], routes: [] }), 'routes: unknown field');
  });
});

describe('parseRollbackRequest', () => {
  test('no body, an empty one or a version id', () => {
    assert.deepEqual(parseRollbackRequest(undefined), { version: null });
    assert.deepEqual(parseRollbackRequest(null), { version: null });
    assert.deepEqual(parseRollbackRequest({}), { version: null });
    assert.deepEqual(parseRollbackRequest({ version: null }), { version: null });
    assert.deepEqual(parseRollbackRequest({ version: ID_A.toUpperCase() }), { version: ID_A });
  });

  test('refuses anything else', () => {
    rejects(() => parseRollbackRequest({ version: 3 }), 'version: must be a version id');
    rejects(() => parseRollbackRequest({ version: 'latest' }), 'version: must be a version id');
    rejects(() => parseRollbackRequest({ versions: [] }), 'versions: unknown field');
    rejects(() => parseRollbackRequest('x'), 'body: must be a JSON object');
  });
});

test('a worker has at most 1,000 routes and 64 vars, as Cloudflare allows', () => {
  const routes = Array.from({ length: 1_001 }, (_, i) => `h${i}.example.com/*`);
  assert.throws(() => parseDeployRequest(deploy({ config: { routes } })), /config\.routes: has 1001 patterns; at most 1000 are allowed per worker/);
  assert.equal(parseDeployRequest(deploy({ config: { routes: routes.slice(0, 1_000) } })).routes?.length, 1_000);
  const vars = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`V${i}`, 'x']));
  assert.throws(() => parseDeployRequest(deploy({ config: { vars } })), /config\.vars: has 65 entries; at most 64/);
});
