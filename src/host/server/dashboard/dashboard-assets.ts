// The dashboard's files, built by scripts/build.mjs into dist/dashboard/ (the page, its script with
// uPlot bundled in, its styles). They are read once and served from memory with their content type
// and headers that let the page do nothing but load its own files and call its own API.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Asset {
  bytes: Buffer;
  contentType: string;
}

/** The files the page is made of, by the name the page asks for. */
const FILES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
};

/**
 * Only the page's own script and styles run, it talks only to the server it came from, and no other
 * site may frame it. uPlot styles its elements through the CSSOM (element.style), which CSP does not
 * restrict, so no 'unsafe-inline' is needed.
 */
export const DASHBOARD_CSP = [
  "default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "img-src 'self' data:",
  "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
].join('; ');

export const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': DASHBOARD_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

function distDir(): string {
  // dist/cli.js and src/host/server/dashboard/*.ts both find dist/ by walking up to the package root.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    try {
      readFileSync(join(dir, 'package.json'));
      return join(dir, 'dist', 'dashboard');
    } catch {
      dir = dirname(dir);
    }
  }
  throw new Error('cannot locate the Islet package root');
}

let cache: Map<string, Asset> | null = null;

/** The asset, or null for a name the page does not have. Throws when the dashboard was never built. */
export function dashboardAsset(name: string): Asset | null {
  const contentType = FILES[name];
  if (contentType === undefined) return null;
  if (cache === null) {
    const dir = distDir();
    const loaded = new Map<string, Asset>();
    for (const [file, type] of Object.entries(FILES)) {
      try {
        loaded.set(file, { bytes: readFileSync(join(dir, file)), contentType: type });
      } catch {
        throw new Error(`The dashboard is not built (${join(dir, file)} is missing): run "npm run build".`);
      }
    }
    cache = loaded;
  }
  return cache.get(name) ?? null;
}
