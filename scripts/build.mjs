// Builds the two artefacts Islet runs: the sandbox runtime (one script every isolate evaluates) and the
// host CLI. Runs on `npm install` (prepare) and before tests and benchmarks.
import { build } from 'esbuild';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
mkdirSync(join(root, 'dist'), { recursive: true });

await Promise.all([
  build({
    entryPoints: [join(root, 'src/sandbox/index.ts')],
    outfile: join(root, 'dist/sandbox-runtime.js'),
    bundle: true,
    format: 'iife',
    platform: 'neutral',
    mainFields: ['module', 'main'],
    target: 'es2023',
    // Identifiers stay: class names are observable (Request.name, error names in stack traces).
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: 'none',
    logLevel: 'warning',
  }),
  build({
    entryPoints: [join(root, 'src/cli/main.ts')],
    outfile: join(root, 'dist/cli.js'),
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node24',
    packages: 'external',
    sourcemap: 'linked',
    logLevel: 'warning',
  }),
]);
