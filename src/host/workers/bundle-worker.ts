import { builtinModules } from 'node:module';
import path from 'node:path';
import * as esbuild from 'esbuild';
import type { WorkerConfig } from './worker-config.js';

export interface BundleResult {
  code: string;
  /** Absolute paths of every file that went into the bundle, for file watching. */
  inputs: string[];
  warnings: string[];
  /** Source map of `code` (without sources' contents), so stack traces can name the tenant's own files. */
  sourceMap: string | null;
}

export class BundleError extends Error {
  override name = 'BundleError';
  /** esbuild's formatted messages, each with file:line:col and a code frame. */
  readonly errors: string[];
  constructor(errors: string[]) {
    super(`Bundling the worker failed:\n${errors.join('\n')}`);
    this.errors = errors;
  }
}

const BUILTIN_MESSAGE = 'Node built-ins are not available in Islet workers';
const BUILTINS = new Set(builtinModules.filter((name) => !name.startsWith('_')));
const SKIP_BUILTIN_CHECK = Symbol('skip-builtin-check');

// Mirrors wrangler's esbuild setup so packages resolve and compile the same way as on workerd.
function buildOptions(rootDir: string): esbuild.BuildOptions {
  return {
    absWorkingDir: rootDir,
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    conditions: ['workerd', 'worker', 'browser'],
    mainFields: ['browser', 'module', 'main'],
    target: 'es2022',
    loader: { '.js': 'jsx', '.mjs': 'jsx', '.cjs': 'jsx', '.txt': 'text', '.html': 'text', '.sql': 'text', '.wasm': 'binary' },
    define: { 'process.env.NODE_ENV': JSON.stringify(process.env['NODE_ENV'] ?? 'production') },
    keepNames: true,
    // Runtime-provided modules; the isolate decides whether it can link them.
    external: ['cloudflare:*'],
    write: false,
    metafile: true,
    // Never written: it names the output so esbuild emits the source map beside it in memory.
    outfile: path.join(rootDir, 'worker.bundle.js'),
    sourcemap: 'external',
    sourcesContent: false,
    logLevel: 'silent',
    plugins: [rejectNodeBuiltins, wasmModules],
  };
}

const WASM_NAMESPACE = 'islet-wasm-module';
const WASM_BYTES = Symbol('wasm-bytes');

/**
 * `import mod from './x.wasm'` (or `./x.wasm?module`) gives a compiled WebAssembly.Module, as
 * wrangler's CompiledWasm rule does. A worker is one module here, so the bytes are inlined (esbuild's
 * binary loader) and compiled once, when the bundle is evaluated.
 */
const wasmModules: esbuild.Plugin = {
  name: 'islet-wasm-modules',
  setup(build) {
    build.onResolve({ filter: /\.wasm(\?module)?$/ }, async (args) => {
      // The wrapper's own import of the file: its bytes, through the binary loader.
      if (args.namespace === WASM_NAMESPACE) return { path: args.path, namespace: 'file' };
      if (args.pluginData === WASM_BYTES) return undefined;
      const resolved = await build.resolve(args.path.replace(/\?module$/, ''), {
        kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: WASM_BYTES,
      });
      if (resolved.errors.length > 0) return { errors: resolved.errors };
      return { path: resolved.path, namespace: WASM_NAMESPACE };
    });
    build.onLoad({ filter: /.*/, namespace: WASM_NAMESPACE }, (args) => ({
      contents: `import bytes from ${JSON.stringify(args.path)};\nexport default new WebAssembly.Module(bytes);\n`,
      resolveDir: path.dirname(args.path),
      loader: 'js',
    }));
  },
};

const rejectNodeBuiltins: esbuild.Plugin = {
  name: 'islet-reject-node-builtins',
  setup(build) {
    build.onResolve({ filter: /^node:/ }, (args) => builtinError(args.path));
    build.onResolve({ filter: /^[a-z_]/ }, async (args) => {
      const topLevel = args.path.split('/')[0] ?? args.path;
      if (args.pluginData === SKIP_BUILTIN_CHECK || !BUILTINS.has(topLevel)) return undefined;
      // A package may map the built-in away (browser field, an npm polyfill of the same name).
      const resolved = await build.resolve(args.path, {
        kind: args.kind,
        importer: args.importer,
        resolveDir: args.resolveDir,
        pluginData: SKIP_BUILTIN_CHECK,
      });
      return resolved.errors.length === 0 ? resolved : builtinError(args.path);
    });
  },
};

function builtinError(specifier: string): esbuild.OnResolveResult {
  return {
    errors: [
      {
        text: `Cannot import "${specifier}": ${BUILTIN_MESSAGE}`,
        notes: [{ text: 'Use a Web API (fetch, crypto.subtle, streams) or a package that does not depend on Node.' }],
      },
    ],
  };
}

export async function bundleWorker(config: WorkerConfig): Promise<BundleResult> {
  return run(config.rootDir, { ...buildOptions(config.rootDir), entryPoints: [config.main] });
}

/** Bundles in-memory source as if it were a file at `filename`; relative imports resolve from its directory. */
export async function bundleSource(code: string, filename: string): Promise<BundleResult> {
  const absolute = path.resolve(filename);
  const rootDir = path.dirname(absolute);
  const ext = path.extname(absolute).slice(1);
  const loader: esbuild.Loader = ext === 'ts' || ext === 'tsx' || ext === 'jsx' ? ext : ext === 'mts' || ext === 'cts' ? 'ts' : 'jsx';
  const stdin = { contents: code, sourcefile: absolute, resolveDir: rootDir, loader };
  return run(rootDir, { ...buildOptions(rootDir), stdin });
}

async function run(rootDir: string, options: esbuild.BuildOptions): Promise<BundleResult> {
  let result: esbuild.BuildResult<{ write: false; metafile: true }>;
  try {
    result = (await esbuild.build(options)) as esbuild.BuildResult<{ write: false; metafile: true }>;
  } catch (error) {
    if (!isBuildFailure(error)) throw error;
    throw new BundleError(await esbuild.formatMessages(error.errors, { kind: 'error', color: false }));
  }
  const output = result.outputFiles.find((file) => file.path.endsWith('.js'));
  const map = result.outputFiles.find((file) => file.path.endsWith('.map'));
  if (output === undefined) throw new BundleError(['esbuild produced no output']);
  return {
    code: output.text,
    inputs: Object.keys(result.metafile.inputs)
      // Keys with a namespace prefix ("(disabled):fs") and "<stdin>" are not files on disk.
      .filter((input) => !/^[^/\\]*:/.test(input) && input !== '<stdin>')
      .map((input) => path.resolve(rootDir, input)),
    warnings: await esbuild.formatMessages(result.warnings, { kind: 'warning', color: false }),
    sourceMap: map?.text ?? null,
  };
}

function isBuildFailure(error: unknown): error is esbuild.BuildFailure {
  return error instanceof Error && Array.isArray((error as Partial<esbuild.BuildFailure>).errors);
}
