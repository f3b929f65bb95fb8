// `import mod from './x.wasm'` in a worker project, as wrangler bundles it: the default export is a
// compiled WebAssembly.Module. Bundled with bundleWorker, run in a real isolate through
// Islet.createWorker, with a module written out by hand.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { Islet } from '../../src/host/islet.js';
import { MemoryLogSink } from '../../src/host/observability/log-sink.js';
import { BundleError, bundleWorker } from '../../src/host/workers/bundle-worker.js';
import { DEFAULT_LIMITS, type WorkerConfig } from '../../src/host/workers/worker-config.js';

// (module (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))
const ADD_WASM = Uint8Array.from([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x07, 0x01, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f,
  0x03, 0x02, 0x01, 0x00,
  0x07, 0x07, 0x01, 0x03, 0x61, 0x64, 0x64, 0x00, 0x00,
  0x0a, 0x09, 0x01, 0x07, 0x00, 0x20, 0x00, 0x20, 0x01, 0x6a, 0x0b,
]);

const dirs: string[] = [];
after(() => dirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

function tempDir(prefix: string): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
  dirs.push(dir);
  return dir;
}

function project(files: Record<string, string | Uint8Array>): string {
  const dir = tempDir('islet-wasm-');
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

function configFor(rootDir: string, main = 'src/index.ts'): WorkerConfig {
  return {
    name: 'wasm', main: path.join(rootDir, main), compatibilityDate: null, vars: {}, kvNamespaces: [], limits: DEFAULT_LIMITS,
    configPath: null, rootDir,
  };
}

describe('WebAssembly modules in a worker bundle', () => {
  it('imports a .wasm file as a WebAssembly.Module, also with ?module, and instantiates it in the isolate', async () => {
    const dir = project({
      'src/add.wasm': ADD_WASM,
      'src/index.ts': `import add from './add.wasm';
import again from './add.wasm?module';
export default {
  async fetch(request: Request): Promise<Response> {
    const instance = await WebAssembly.instantiate(add);
    const sync = new WebAssembly.Instance(again, {});
    const exports = instance.exports as { add(a: number, b: number): number };
    return Response.json({
      module: add instanceof WebAssembly.Module,
      same: add === again,
      exports: WebAssembly.Module.exports(add),
      sum: exports.add(20, 22),
      syncSum: (sync.exports as { add(a: number, b: number): number }).add(1, 2),
    });
  },
};
`,
    });
    const bundle = await bundleWorker(configFor(dir));
    assert.ok(bundle.inputs.includes(path.join(dir, 'src/add.wasm')), `inputs: ${bundle.inputs.join(', ')}`);
    const islet = new Islet({ dataDir: tempDir('islet-wasm-data-'), log: new MemoryLogSink(), spareIsolates: 0 });
    try {
      const worker = islet.createWorker({ name: 'wasm', code: bundle.code });
      const response = await worker.fetch({ method: 'GET', url: 'http://wasm.test/', headers: '', body: null, traceId: 't1' });
      assert.equal(response.status, 200, String(response.body));
      assert.deepEqual(JSON.parse(String(response.body)), {
        module: true, same: true, exports: [{ name: 'add', kind: 'function' }], sum: 42, syncSum: 3,
      });
      worker.dispose();
    } finally {
      islet.close();
    }
  });

  it('reports a missing .wasm file with the importing file and line', async () => {
    const dir = project({ 'src/index.ts': `import mod from './missing.wasm';\nexport default { fetch: () => new Response(String(mod)) };\n` });
    await assert.rejects(bundleWorker(configFor(dir)), (error: unknown) => {
      assert.ok(error instanceof BundleError);
      assert.match(error.message, /src\/index\.ts:1:/);
      assert.match(error.message, /missing\.wasm/);
      return true;
    });
  });
});
