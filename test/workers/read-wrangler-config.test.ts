import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigError, findConfig, parseDotenv, readWorkerConfig } from '../../src/host/workers/read-wrangler-config.js';
import { DEFAULT_LIMITS } from '../../src/host/workers/worker-config.js';

const dirs: string[] = [];
after(() => dirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

function project(files: Record<string, string>): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'islet-config-')));
  dirs.push(dir);
  for (const [name, text] of Object.entries({ 'src/index.ts': 'export default {};', ...files })) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

function configError(fn: () => unknown, code: string, ...fragments: string[]): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    for (const fragment of fragments) assert.ok(error.message.includes(fragment), `"${error.message}" lacks "${fragment}"`);
    return true;
  });
}

const toml = (body: string) => project({ 'wrangler.toml': `name = "w"\nmain = "src/index.ts"\n${body}` });

describe('findConfig', () => {
  it('prefers wrangler.json, then wrangler.jsonc, then wrangler.toml', () => {
    const dir = project({ 'wrangler.toml': '', 'wrangler.jsonc': '{}', 'wrangler.json': '{}' });
    assert.equal(findConfig(dir), path.join(dir, 'wrangler.json'));
    fs.rmSync(path.join(dir, 'wrangler.json'));
    assert.equal(findConfig(dir), path.join(dir, 'wrangler.jsonc'));
    fs.rmSync(path.join(dir, 'wrangler.jsonc'));
    assert.equal(findConfig(dir), path.join(dir, 'wrangler.toml'));
  });

  it('walks up from a subdirectory', () => {
    const dir = project({ 'wrangler.toml': '' });
    assert.equal(findConfig(path.join(dir, 'src')), path.join(dir, 'wrangler.toml'));
  });
});

describe('readWorkerConfig', () => {
  it('reads a wrangler.toml', () => {
    const dir = toml(`compatibility_date = "2024-09-23"
routes = ["example.com/*"]
[vars]
GREETING = "hi"
COUNT = 3
ENABLED = true
SERVICE = { url = "https://x.test", retries = 2 }
[[kv_namespaces]]
binding = "CACHE"
id = "abc123"
preview_id = "ignored"
[[kv_namespaces]]
binding = "SESSIONS"
[limits]
cpu_ms = 100
`);
    const config = readWorkerConfig({ cwd: dir });
    assert.equal(config.name, 'w');
    assert.equal(config.main, path.join(dir, 'src/index.ts'));
    assert.equal(config.compatibilityDate, '2024-09-23');
    assert.deepEqual(config.vars, { GREETING: 'hi', COUNT: 3, ENABLED: true, SERVICE: { url: 'https://x.test', retries: 2 } });
    assert.deepEqual(config.kvNamespaces, [
      { binding: 'CACHE', id: 'abc123' },
      { binding: 'SESSIONS', id: 'SESSIONS' },
    ]);
    assert.deepEqual(config.limits, { ...DEFAULT_LIMITS, cpuMs: 100 });
    assert.deepEqual(config.routes, ['example.com/*']);
    assert.equal(config.configPath, path.join(dir, 'wrangler.toml'));
    assert.equal(config.rootDir, dir);
    assert.deepEqual(config.warnings, ['wrangler.toml: kv_namespaces[1] has no "id"; local state uses the binding name "SESSIONS" as the namespace id']);
  });

  it('reads wrangler.json and defaults what is absent', () => {
    const dir = project({ 'wrangler.json': JSON.stringify({ main: 'src/index.ts' }) });
    const config = readWorkerConfig({ cwd: path.join(dir, 'src') });
    assert.equal(config.name, path.basename(dir));
    assert.equal(config.compatibilityDate, null);
    assert.deepEqual(config.vars, {});
    assert.deepEqual(config.kvNamespaces, []);
    assert.deepEqual(config.limits, DEFAULT_LIMITS);
    assert.deepEqual(config.routes, []);
  });

  it('reads routes as wrangler writes them: strings, tables with pattern and zone, custom domains', () => {
    const dir = toml(`compatibility_date = "2026-11-01"
routes = [
  "api.example.com/*",
  { pattern = "*.example.org/v1/*", zone_name = "example.org" },
  { pattern = "example.net/app*", zone_id = "0123abcd" },
  { pattern = "shop.example.com", custom_domain = true },
]
`);
    const config = readWorkerConfig({ cwd: dir });
    // A custom domain takes every path of its hostname.
    assert.deepEqual(config.routes, ['api.example.com/*', '*.example.org/v1/*', 'example.net/app*', 'shop.example.com/*']);
    assert.deepEqual(config.warnings, [], 'routes are supported, not reported as ignored');
  });

  it('reads a single route, as a string or a table, from TOML and JSON', () => {
    assert.deepEqual(readWorkerConfig({ cwd: toml('route = "example.com/*"') }).routes, ['example.com/*']);
    assert.deepEqual(readWorkerConfig({ cwd: toml('route = { pattern = "example.com/api/*", zone_name = "example.com" }') }).routes, ['example.com/api/*']);
    const json = project({ 'wrangler.jsonc': '{ "main": "src/index.ts", "routes": [{ "pattern": "a.example.com/*", "custom_domain": false }] }' });
    assert.deepEqual(readWorkerConfig({ cwd: json }).routes, ['a.example.com/*']);
  });

  it('leaves .dev.vars out when asked to, as wrangler deploy does', () => {
    const dir = project({ 'wrangler.toml': 'main = "src/index.ts"\n[vars]\nA = "config"\n', '.dev.vars': 'A=dev\nB=dev\n' });
    assert.deepEqual(readWorkerConfig({ cwd: dir, readDevVars: false, vars: { C: 'flag' } }).vars, { A: 'config', C: 'flag' });
    assert.deepEqual(readWorkerConfig({ cwd: dir }).vars, { A: 'dev', B: 'dev' });
  });

  it('reads wrangler.jsonc with comments and trailing commas', () => {
    const dir = project({
      'wrangler.jsonc': `{
  // the worker
  "name": "jsonc-worker", /* inline */
  "main": "src/index.ts",
  "vars": { "MODE": "dev", },
  "kv_namespaces": [{ "binding": "KV", "id": "k1", },],
}`,
    });
    const config = readWorkerConfig({ cwd: dir });
    assert.equal(config.name, 'jsonc-worker');
    assert.deepEqual(config.vars, { MODE: 'dev' });
    assert.deepEqual(config.kvNamespaces, [{ binding: 'KV', id: 'k1' }]);
  });

  it('warns when no compatibility_date is set, as wrangler does', () => {
    const { warnings } = readWorkerConfig({ cwd: toml('') });
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /no "compatibility_date" is set/);
  });

  it('accepts cpu_ms up to the 300,000 ms Workers allows', () => {
    assert.equal(readWorkerConfig({ cwd: toml('[limits]\ncpu_ms = 300000') }).limits.cpuMs, 300_000);
    assert.throws(() => readWorkerConfig({ cwd: toml('[limits]\ncpu_ms = 300001') }), /limits\.cpu_ms.*from 1 to 300000/);
    assert.throws(() => readWorkerConfig({ cwd: toml('[limits]\ncpu_ms = 1.5') }), /limits\.cpu_ms/);
  });

  it('accepts an unquoted TOML date', () => {
    assert.equal(readWorkerConfig({ cwd: toml('compatibility_date = 2024-01-15') }).compatibilityDate, '2024-01-15');
  });

  it('warns about keys Islet does not support, and ignores other unknown keys', () => {
    const dir = toml(`workers_dev = true
compatibility_date = "2026-11-01"
compatibility_flags = ["nodejs_compat"]
[[r2_buckets]]
binding = "BUCKET"
bucket_name = "b"
[env.staging]
name = "w-staging"
`);
    const { warnings } = readWorkerConfig({ cwd: dir });
    assert.equal(warnings.length, 3, warnings.join('\n'));
    for (const key of ['r2_buckets', 'env', 'compatibility_flags']) {
      assert.ok(warnings.some((w) => w.includes(`"${key}"`) && w.includes('wrangler.toml')), key);
    }
  });

  it('does not call the binding sections it supports unsupported', () => {
    const dir = toml(`compatibility_date = "2026-11-01"
[[queues.producers]]
binding = "JOBS"
queue = "jobs"
[[queues.consumers]]
queue = "jobs"
[[analytics_engine_datasets]]
binding = "EVENTS"
dataset = "events"
[[durable_objects.bindings]]
name = "ROOMS"
class_name = "Room"
[[migrations]]
tag = "v1"
new_classes = ["Room"]
[[services]]
binding = "AUTH"
service = "auth"
[triggers]
crons = ["0 * * * *"]
`);
    assert.deepEqual(readWorkerConfig({ cwd: dir }).warnings, []);
  });

  it('lets .dev.vars override [vars], and --var override both', () => {
    const dir = project({
      'wrangler.toml': 'main = "src/index.ts"\n[vars]\nA = "config"\nB = "config"\nC = "config"\n',
      '.dev.vars': '# local secrets\nB=dev\nexport C="dev quoted" # comment\nD=\'single # not a comment\'\nE="multi\\nline"\n\n',
    });
    const config = readWorkerConfig({ cwd: dir, vars: { C: 'flag', F: 'flag' } });
    assert.deepEqual(config.vars, { A: 'config', B: 'dev', C: 'flag', D: 'single # not a comment', E: 'multi\nline', F: 'flag' });
  });

  it('parses dotenv values like wrangler does', () => {
    assert.deepEqual(parseDotenv('A=1\r\nB = two words  \nC="x"#c\n#D=4\nE=\nF=`back`\n'), {
      A: '1',
      B: 'two words',
      C: 'x',
      E: '',
      F: 'back',
    });
  });

  it('uses an entry argument over main, and finds the config from the entry directory', () => {
    const dir = project({ 'wrangler.toml': 'name = "w"\nmain = "src/index.ts"\n', 'src/other.ts': '' });
    const config = readWorkerConfig({ cwd: os.tmpdir(), entry: path.join(dir, 'src/other.ts') });
    assert.equal(config.main, path.join(dir, 'src/other.ts'));
    assert.equal(config.configPath, path.join(dir, 'wrangler.toml'));
  });

  it('runs an entry without any config file', () => {
    const dir = project({});
    const config = readWorkerConfig({ cwd: dir, entry: 'src/index.ts', vars: { X: '1' } });
    assert.equal(config.configPath, null);
    assert.equal(config.rootDir, dir);
    assert.equal(config.main, path.join(dir, 'src/index.ts'));
    assert.deepEqual(config.vars, { X: '1' });
  });

  it('reads an explicit --config path', () => {
    const dir = project({ 'deploy/custom.toml': 'name = "custom"\nmain = "../src/index.ts"\n' });
    const config = readWorkerConfig({ cwd: dir, configPath: 'deploy/custom.toml' });
    assert.equal(config.name, 'custom');
    assert.equal(config.main, path.join(dir, 'src/index.ts'));
    configError(() => readWorkerConfig({ cwd: dir, configPath: 'nope.toml' }), 'CONFIG_NOT_FOUND', 'nope.toml');
  });
});

describe('readWorkerConfig errors', () => {
  it('reports a missing main', () => {
    configError(() => readWorkerConfig({ cwd: project({ 'wrangler.toml': 'name = "w"' }) }), 'MISSING_MAIN', 'wrangler.toml', '"main"');
    configError(() => readWorkerConfig({ cwd: project({}) }), 'MISSING_MAIN', 'wrangler.toml', 'entry');
  });

  it('reports a main or entry that does not exist', () => {
    const dir = project({ 'wrangler.json': '{ "main": "src/missing.ts" }' });
    configError(() => readWorkerConfig({ cwd: dir }), 'MAIN_NOT_FOUND', 'wrangler.json', '"main"', 'src/missing.ts');
    configError(() => readWorkerConfig({ cwd: dir, entry: 'gone.ts' }), 'MAIN_NOT_FOUND', path.join(dir, 'gone.ts'));
  });

  it('reports binding names that are not JS identifiers', () => {
    configError(() => readWorkerConfig({ cwd: toml('[[kv_namespaces]]\nbinding = "MY-KV"\nid = "x"') }), 'INVALID_BINDING_NAME', 'wrangler.toml', 'kv_namespaces[0].binding', 'MY-KV');
    configError(() => readWorkerConfig({ cwd: toml('[vars]\n"1ST" = "x"') }), 'INVALID_BINDING_NAME', 'vars.1ST');
    configError(() => readWorkerConfig({ cwd: toml(''), vars: { 'a b': 'x' } }), 'INVALID_BINDING_NAME', '--var', 'a b');
  });

  it('reports duplicate binding names', () => {
    const twoKv = '[[kv_namespaces]]\nbinding = "KV"\nid = "a"\n[[kv_namespaces]]\nbinding = "KV"\nid = "b"';
    configError(() => readWorkerConfig({ cwd: toml(twoKv) }), 'DUPLICATE_BINDING', 'wrangler.toml', 'kv_namespaces[1].binding', 'kv_namespaces[0].binding');
    configError(() => readWorkerConfig({ cwd: toml('[vars]\nKV = "x"\n[[kv_namespaces]]\nbinding = "KV"') }), 'DUPLICATE_BINDING', 'vars.KV');
    const dir = project({ 'wrangler.toml': 'main = "src/index.ts"\n[[kv_namespaces]]\nbinding = "KV"', '.dev.vars': 'KV=shadow' });
    configError(() => readWorkerConfig({ cwd: dir }), 'DUPLICATE_BINDING', '.dev.vars', '"KV"');
  });

  it('reports values of the wrong type, naming the key', () => {
    const cases: Array<[string, string]> = [
      ['compatibility_date = "soon"', '"compatibility_date"'],
      ['vars = "x"', '"vars"'],
      ['kv_namespaces = { binding = "KV" }', '"kv_namespaces"'],
      ['[[kv_namespaces]]\nbinding = 7', '"kv_namespaces[0].binding"'],
      ['[[kv_namespaces]]\nbinding = "KV"\nid = 7', '"kv_namespaces[0].id"'],
      ['[limits]\ncpu_ms = "fast"', '"limits.cpu_ms"'],
      ['[limits]\ncpu_ms = -1', '"limits.cpu_ms"'],
      ['routes = "example.com/*"', '"routes"'],
      ['routes = [""]', '"routes[0]"'],
      ['routes = [7]', '"routes[0]"'],
      ['routes = [{ zone_name = "example.com" }]', '"routes[0].pattern"'],
      ['routes = [{ pattern = "example.com/*", custom_domain = "yes" }]', '"routes[0].custom_domain"'],
      ['routes = [{ pattern = "shop.example.com/*", custom_domain = true }]', '"routes[0].pattern"'],
      ['route = "a.example.com/*"\nroutes = ["b.example.com/*"]', '"routes"'],
    ];
    for (const [body, key] of cases) configError(() => readWorkerConfig({ cwd: toml(body) }), 'INVALID_TYPE', 'wrangler.toml', key);
    const badName = project({ 'wrangler.toml': 'name = 5\nmain = "src/index.ts"' });
    configError(() => readWorkerConfig({ cwd: badName }), 'INVALID_TYPE', 'wrangler.toml', '"name"');
    const json = project({ 'wrangler.json': '{ "main": "src/index.ts", "vars": { "N": null } }' });
    configError(() => readWorkerConfig({ cwd: json }), 'INVALID_TYPE', 'wrangler.json', '"vars.N"');
  });

  it('reports parse errors with file, line and column', () => {
    configError(() => readWorkerConfig({ cwd: project({ 'wrangler.toml': 'name = "w"\nmain = \n' }) }), 'PARSE_ERROR', 'wrangler.toml:2:');
    const jsoncDir = project({ 'wrangler.jsonc': '{\n  // ok\n  "name": "w"\n  "main": "src/index.ts"\n}' });
    configError(() => readWorkerConfig({ cwd: jsoncDir }), 'PARSE_ERROR', 'wrangler.jsonc:4:3', 'CommaExpected');
  });
});
