import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, describe, it } from 'node:test';
import { BundleError, bundleSource, bundleWorker } from '../../src/host/workers/bundle-worker.js';
import { DEFAULT_LIMITS, type WorkerConfig } from '../../src/host/workers/worker-config.js';

const dirs: string[] = [];
after(() => dirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

function project(files: Record<string, string | object>): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'islet-bundle-')));
  dirs.push(dir);
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), typeof content === 'string' ? content : JSON.stringify(content));
  }
  return dir;
}

function configFor(rootDir: string, main = 'src/index.ts'): WorkerConfig {
  return {
    name: 'test',
    main: path.join(rootDir, main),
    compatibilityDate: null,
    vars: {},
    kvNamespaces: [],
    limits: DEFAULT_LIMITS,
    configPath: null,
    rootDir,
  };
}

async function bundleError(promise: Promise<unknown>, ...fragments: string[]): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof BundleError, `expected BundleError, got ${String(error)}`);
    for (const fragment of fragments) assert.ok(error.message.includes(fragment), `"${error.message}" lacks "${fragment}"`);
    return true;
  });
}

const PACKAGES = {
  'node_modules/edge-lib/package.json': {
    name: 'edge-lib',
    exports: { '.': { workerd: './workerd.js', node: './node.js', default: './default.js' } },
  },
  'node_modules/edge-lib/workerd.js': 'export const runtime = "workerd";',
  'node_modules/edge-lib/node.js': 'export const runtime = "node";',
  'node_modules/edge-lib/default.js': 'export const runtime = "default";',
  'node_modules/esm-lib/package.json': { name: 'esm-lib', main: './cjs.js', module: './esm.js' },
  'node_modules/esm-lib/cjs.js': 'exports.flavor = "cjs";',
  'node_modules/esm-lib/esm.js': 'export const flavor = "esm";',
  // npm polyfills named like Node built-ins are ordinary packages and must bundle.
  'node_modules/events/package.json': { name: 'events', main: './events.js' },
  'node_modules/events/events.js': 'module.exports = { EventEmitter: class EventEmitter { polyfill = true; } };',
};

describe('bundleWorker', () => {
  it('bundles a TypeScript entry with local and npm imports into one ES module', async () => {
    const dir = project({
      ...PACKAGES,
      'src/index.ts': `import { greet } from './greet';
import { runtime } from 'edge-lib';
import { flavor } from 'esm-lib';
import { EventEmitter } from 'events';
interface Env { NAME: string }
export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    return new Response(greet(env.NAME) + ' ' + runtime + ' ' + flavor + ' ' + new EventEmitter().polyfill);
  },
};
`,
      'src/greet.ts': 'export const greet = (name: string): string => `hello ${name}`;',
    });
    const result = await bundleWorker(configFor(dir));
    assert.doesNotMatch(result.code, /sourceMappingURL/);
    assert.doesNotMatch(result.code, /^import /m);
    assert.deepEqual(result.warnings, []);
    for (const file of ['src/index.ts', 'src/greet.ts', 'node_modules/edge-lib/workerd.js', 'node_modules/esm-lib/esm.js', 'node_modules/events/events.js']) {
      assert.ok(result.inputs.includes(path.join(dir, file)), `${file} missing from ${result.inputs.join(', ')}`);
    }
    assert.ok(result.inputs.every((input) => path.isAbsolute(input) && fs.existsSync(input)), result.inputs.join(', '));

    const out = path.join(dir, 'out.mjs');
    fs.writeFileSync(out, result.code);
    const worker = (await import(pathToFileURL(out).href)) as { default: { fetch(r: Request, e: object): Promise<Response> } };
    const response = await worker.default.fetch(new Request('http://x/'), { NAME: 'islet' });
    assert.equal(await response.text(), 'hello islet workerd esm true');
  });

  it('compiles JSX and imports text modules as strings', async () => {
    const dir = project({
      'src/index.tsx': `import page from './page.html';
const h = (tag: string, _props: unknown, ...children: string[]) => \`<\${tag}>\${children.join('')}</\${tag}>\`;
export const view = <p>{page.trim()}</p>;
export default { fetch: () => new Response(view) };
`,
      'src/page.html': 'hi\n',
      'tsconfig.json': { compilerOptions: { jsx: 'react', jsxFactory: 'h' } },
    });
    const result = await bundleWorker(configFor(dir, 'src/index.tsx'));
    const out = path.join(dir, 'out.mjs');
    fs.writeFileSync(out, result.code);
    assert.equal(((await import(pathToFileURL(out).href)) as { view: string }).view, '<p>hi</p>');
  });

  it('rejects Node built-ins with a clear error pointing at the import', async () => {
    const dir = project({
      'src/index.ts': 'import { readFileSync } from "node:fs";\nexport default { fetch: () => new Response(String(readFileSync)) };\n',
      'src/bare.ts': 'import crypto from "crypto";\nexport default crypto;\n',
    });
    await bundleError(bundleWorker(configFor(dir)), 'node:fs', 'Node built-ins are not available in Islet workers', 'src/index.ts:1:');
    await bundleError(bundleWorker(configFor(dir, 'src/bare.ts')), '"crypto"', 'Node built-ins are not available in Islet workers', 'src/bare.ts:1:');
  });

  it('rejects Node built-ins imported from a dependency', async () => {
    const dir = project({
      'node_modules/uses-fs/package.json': { name: 'uses-fs', main: './index.js' },
      'node_modules/uses-fs/index.js': 'export { promises } from "fs";',
      'src/index.ts': 'import { promises } from "uses-fs";\nexport default { promises };\n',
    });
    await bundleError(bundleWorker(configFor(dir)), 'Node built-ins are not available in Islet workers', 'node_modules/uses-fs/index.js:1:');
  });

  it('reports syntax and resolution errors with file, line and column', async () => {
    const dir = project({
      'src/index.ts': 'export default {\n  fetch() { return new Response( }\n};\n',
      'src/missing.ts': 'import x from "./nope";\nexport default x;\n',
    });
    await bundleError(bundleWorker(configFor(dir)), 'src/index.ts:2:');
    await bundleError(bundleWorker(configFor(dir, 'src/missing.ts')), 'src/missing.ts:1:14', './nope');
  });

  it('leaves cloudflare: modules for the runtime to provide', async () => {
    const dir = project({ 'src/index.ts': 'import { env } from "cloudflare:workers";\nexport default { env };\n' });
    const { code } = await bundleWorker(configFor(dir));
    assert.match(code, /from "cloudflare:workers"/);
  });
});

describe('bundleSource', () => {
  it('bundles in-memory TypeScript that imports from its directory', async () => {
    const dir = project({ 'lib.ts': 'export const n: number = 41;' });
    const result = await bundleSource('import { n } from "./lib";\nexport default { value: n + 1 };', path.join(dir, 'worker.ts'));
    assert.ok(result.inputs.includes(path.join(dir, 'lib.ts')));
    assert.match(result.code, /41/);
  });
});
