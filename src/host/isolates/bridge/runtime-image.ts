// The sandbox runtime script, compiled once per process: the first isolate produces V8's code cache and
// every later isolate consumes it, so no isolate parses the runtime cold.
import ivm from 'isolated-vm';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const RUNTIME_FILENAME = 'islet:runtime';

function defaultRuntimePath(): string {
  // dist/cli.js and src/host/isolates/bridge/*.ts both find dist/ by walking up to the package root.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    try {
      readFileSync(join(dir, 'package.json'));
      return join(dir, 'dist', 'sandbox-runtime.js');
    } catch {
      dir = dirname(dir);
    }
  }
  throw new Error('cannot locate the Islet package root');
}

// isolated-vm sets these on the returned script; its type definitions omit them.
type CachedScript = ivm.Script & { cachedData?: ivm.ExternalCopy<ArrayBuffer>; cachedDataRejected?: boolean };

export class RuntimeImage {
  readonly source: string;
  #cache: ivm.ExternalCopy<ArrayBuffer> | null = null;

  constructor(path = defaultRuntimePath()) {
    try {
      this.source = readFileSync(path, 'utf8');
    } catch {
      throw new Error(`The sandbox runtime is not built (${path} is missing). Run "npm run build".`);
    }
  }

  /** Compiles the runtime into `isolate`, using and refreshing the shared code cache. */
  compile(isolate: ivm.Isolate): ivm.Script {
    if (this.#cache !== null) {
      const script = isolate.compileScriptSync(this.source, { filename: RUNTIME_FILENAME, cachedData: this.#cache }) as CachedScript;
      if (script.cachedDataRejected !== true) return script;
    }
    const script = isolate.compileScriptSync(this.source, { filename: RUNTIME_FILENAME, produceCachedData: true }) as CachedScript;
    if (script.cachedData !== undefined) this.#cache = script.cachedData;
    return script;
  }
}
