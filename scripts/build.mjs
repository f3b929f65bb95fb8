// Builds the three artefacts Islet runs: the sandbox runtime (one script every isolate evaluates), the
// host CLI, and the engine process `islet serve` forks. Runs on `npm install` (prepare) and before tests
// and benchmarks.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hardenRuntimeFile } from './harden-runtime.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
mkdirSync(join(root, 'dist'), { recursive: true });

// urlpattern-polyfill canonicalizes a pathname by parsing it as a URL relative to https://example.com,
// so "//evil.test/users/1" becomes host evil.test and pathname /users/1, and a route on /users/:id
// matches a request for //evil.test/users/1. The spec sets the pathname on a dummy URL instead
// (https://urlpattern.spec.whatwg.org/#canonicalize-a-pathname), which is what this patch does.
const URLPATTERN_BUG = 'e=new URL(n?e:"/-"+e,"https://example.com").pathname';
const URLPATTERN_FIX = 'e=(()=>{let u=new URL("https://example.com");u.pathname=n?e:"/-"+e;return u.pathname})()';
const patchUrlPattern = {
  name: 'patch-urlpattern-pathname',
  setup(b) {
    b.onLoad({ filter: /urlpattern-polyfill[\\/]dist[\\/]urlpattern\.c?js$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      if (!source.includes(URLPATTERN_BUG)) throw new Error(`urlpattern-polyfill changed: re-check the pathname patch in ${args.path}`);
      return { contents: source.replace(URLPATTERN_BUG, URLPATTERN_FIX), loader: 'js' };
    });
  },
};

// The host side: npm packages stay external (isolated-vm is native; the rest load from node_modules).
const hostBundle = {
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node24',
  packages: 'external',
  sourcemap: 'linked',
  logLevel: 'warning',
};

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
    plugins: [patchUrlPattern],
    minifySyntax: true,
    minifyWhitespace: true,
    legalComments: 'none',
    logLevel: 'warning',
    // Then built-ins the tenant replaces can no longer reach the runtime's own code (see the script).
  }).then(() => hardenRuntimeFile(join(root, 'dist/sandbox-runtime.js'))),
  build({ ...hostBundle, entryPoints: [join(root, 'src/cli/main.ts')], outfile: join(root, 'dist/cli.js') }),
  build({ ...hostBundle, entryPoints: [join(root, 'src/host/engines/engine-main.ts')], outfile: join(root, 'dist/engine.js') }),
  // The dashboard's page, served by islet serve and islet dev: its script with uPlot bundled in (no
  // CDN: the page must work offline and under a CSP that allows only its own files), and its styles.
  build({
    entryPoints: [join(root, 'src/dashboard/app.ts'), join(root, 'src/dashboard/app.css')],
    outdir: join(root, 'dist/dashboard'),
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    // uPlot's copyright header is not a legal comment in esbuild's sense; its MIT notice goes on top.
    banner: { js: '/*! uPlot (c) Leon Sorokin, MIT License: https://github.com/leeoniya/uPlot */', css: '/*! uPlot (c) Leon Sorokin, MIT License */' },
    logLevel: 'warning',
  }).then(() => copyFileSync(join(root, 'src/dashboard/index.html'), join(root, 'dist/dashboard/index.html'))),
]);
