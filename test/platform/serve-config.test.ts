import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ServeConfigError, readServeConfig } from '../../src/host/platform/serve-config.js';

function withFile(name: string, text: string, check: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'islet-serve-config-'));
  try {
    writeFileSync(join(dir, name), text);
    check(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('the config file sets ports, data, engines, limits and pool; flags win over it', () => {
  withFile('islet.toml', 'port = 9000\nadmin_port = 9001\ndata = "state"\nengines = 3\n[limits]\ncpu_ms = 100\nconcurrency = 8\n[pool]\nmax_resident = 50\n', (dir) => {
    const config = readServeConfig(dir, { config: 'islet.toml', port: 7000 });
    assert.equal(config.port, 7000);
    assert.equal(config.adminPort, 9001);
    assert.equal(config.dataDir, join(dir, 'state'), 'data resolves against the config file');
    assert.equal(config.engines, 3);
    assert.equal(config.limits.cpuMs, 100);
    assert.equal(config.limits.concurrency, 8);
    assert.equal(config.limits.memoryMb, 128, 'unset limits keep their defaults');
    assert.equal(config.pool.maxResident, 50);
  });
});

test('JSON config files are read by their extension', () => {
  withFile('islet.json', JSON.stringify({ engines: 0, dev_routes: false }), (dir) => {
    const config = readServeConfig(dir, { config: 'islet.json' });
    assert.equal(config.engines, 0);
    assert.equal(config.devRoutes, false);
  });
});

test('unknown keys and out-of-range values are errors that name the key', () => {
  withFile('a.toml', 'prot = 1\n', (dir) => assert.throws(() => readServeConfig(dir, { config: 'a.toml' }), /unknown key "prot"/));
  withFile('b.toml', '[limits]\ncpu_ms = 0\n', (dir) => assert.throws(() => readServeConfig(dir, { config: 'b.toml' }), /"limits.cpu_ms" must be an integer from 1 to 300000, got 0/));
  withFile('c.toml', '[limits]\ncpus = 1\n', (dir) => assert.throws(() => readServeConfig(dir, { config: 'c.toml' }), ServeConfigError));
  withFile('d.toml', 'port = "80"\n', (dir) => assert.throws(() => readServeConfig(dir, { config: 'd.toml' }), /"port" must be an integer/));
  withFile('e.toml', 'port = [', (dir) => assert.throws(() => readServeConfig(dir, { config: 'e.toml' }), /not valid TOML/));
  assert.throws(() => readServeConfig(tmpdir(), { config: 'does-not-exist.toml' }), /Cannot read/);
});
