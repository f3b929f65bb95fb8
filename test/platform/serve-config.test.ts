import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DEFAULT_COST, ServeConfigError, readServeConfig } from '../../src/host/platform/serve-config.js';

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

test('[cost] sets the price model; unset prices keep the Workers Standard defaults', () => {
  assert.deepEqual(readServeConfig(tmpdir(), {}).cost, { perMillionRequests: 0.30, perMillionCpuMs: 0.02, perGbSecond: 0 });
  assert.deepEqual(DEFAULT_COST, { perMillionRequests: 0.30, perMillionCpuMs: 0.02, perGbSecond: 0 });
  withFile('islet.toml', '[cost]\nper_million_requests = 0.5\nper_gb_second = 0.0000125\n', (dir) => {
    assert.deepEqual(readServeConfig(dir, { config: 'islet.toml' }).cost, { perMillionRequests: 0.5, perMillionCpuMs: 0.02, perGbSecond: 0.0000125 });
  });
  withFile('islet.json', JSON.stringify({ cost: { per_million_cpu_ms: 1 } }), (dir) => {
    assert.equal(readServeConfig(dir, { config: 'islet.json' }).cost.perMillionCpuMs, 1, 'an integer price is a price too');
  });
  withFile('a.toml', '[cost]\nper_request = 1\n', (dir) => assert.throws(() => readServeConfig(dir, { config: 'a.toml' }), /unknown key "cost.per_request" \(known: per_million_requests, per_million_cpu_ms, per_gb_second\)/));
  withFile('b.toml', '[cost]\nper_million_requests = -1\n', (dir) => assert.throws(() => readServeConfig(dir, { config: 'b.toml' }), /"cost.per_million_requests" must be a number from 0 to 1000000000, got -1/));
  withFile('c.toml', '[cost]\nper_gb_second = "free"\n', (dir) => assert.throws(() => readServeConfig(dir, { config: 'c.toml' }), ServeConfigError));
  withFile('d.toml', 'cost = 1\n', (dir) => assert.throws(() => readServeConfig(dir, { config: 'd.toml' }), /"cost" must be a table/));
});

test('[durable_objects] max_storage_mb bounds each object\'s database; 1 GiB unless set', () => {
  withFile('islet.toml', '[durable_objects]\nmax_storage_mb = 256\n', (dir) => {
    assert.equal(readServeConfig(dir, { config: 'islet.toml' }).durableObjects.maxStorageMb, 256);
  });
  withFile('islet.toml', 'port = 9000\n', (dir) => {
    assert.equal(readServeConfig(dir, { config: 'islet.toml' }).durableObjects.maxStorageMb, 1024);
  });
  for (const text of ['[durable_objects]\nmax_storage_mb = 0\n', '[durable_objects]\nmax_storage = 5\n']) {
    withFile('islet.toml', text, (dir) => {
      assert.throws(() => readServeConfig(dir, { config: 'islet.toml' }), (err: unknown) => err instanceof ServeConfigError && /durable_objects\.max_storage/.test(err.message));
    });
  }
});

test('[durable_objects] code_update_max_delay_ms: Cloudflare\'s max_delay, 0 to 86,400 s', () => {
  withFile('islet.toml', '[durable_objects]\ncode_update_max_delay_ms = 5000\n', (dir) => {
    assert.equal(readServeConfig(dir, { config: 'islet.toml' }).durableObjects.codeUpdateMaxDelayMs, 5000);
  });
  withFile('islet.toml', '[durable_objects]\ncode_update_max_delay_ms = 86400001\n', (dir) => {
    assert.throws(() => readServeConfig(dir, { config: 'islet.toml' }), (err: unknown) => err instanceof ServeConfigError && /code_update_max_delay_ms/.test(err.message));
  });
});

test('[observability] request_log_sampling is a share from 0 to 1; every request is logged unless set', () => {
  withFile('islet.toml', '[observability]\nrequest_log_sampling = 0.25\n', (dir) => {
    assert.equal(readServeConfig(dir, { config: 'islet.toml' }).observability.requestLogSampling, 0.25);
  });
  withFile('islet.toml', 'port = 9000\n', (dir) => {
    assert.equal(readServeConfig(dir, { config: 'islet.toml' }).observability.requestLogSampling, 1);
  });
  withFile('islet.toml', '[observability]\nrequest_log_sampling = nan\n', (dir) => {
    assert.throws(() => readServeConfig(dir, { config: 'islet.toml' }), /from 0 to 1, got NaN$/);
  });
  for (const bad of ['1.5', '-0.1', '"all"']) {
    withFile('islet.toml', `[observability]\nrequest_log_sampling = ${bad}\n`, (dir) => {
      assert.throws(() => readServeConfig(dir, { config: 'islet.toml' }), (err: Error) =>
        err instanceof ServeConfigError && err.message.includes('"observability.request_log_sampling" must be a number from 0 to 1'));
    });
  }
});

test('[pool] engine_memory_mb is a whole number of MB from 128; unset leaves the default to the supervisor', () => {
  withFile('islet.toml', '[pool]\nengine_memory_mb = 2048\n', (dir) => {
    assert.equal(readServeConfig(dir, { config: 'islet.toml' }).pool.engineMemoryMb, 2048);
  });
  withFile('islet.toml', '[pool]\nengine_memory_mb = 64\n', (dir) => {
    assert.throws(() => readServeConfig(dir, { config: 'islet.toml' }), /"pool.engine_memory_mb" must be an integer from 128/);
  });
});
