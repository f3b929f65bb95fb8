// The `bindings` section: the figures of the stateful bindings, each from its own script run in a
// fresh process (so one binding's warm caches and garbage do not colour the next): one hot Durable
// Object, WebSocket echo and chat relay, Analytics Engine points, the Cache API, Queues. Each script
// can also be run alone (see its header); here their printed figures are gathered into the report.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runChild } from './child.js';
import { NODE_FLAGS } from './targets.js';

const here = dirname(fileURLToPath(import.meta.url));

export interface BindingFigures {
  script: string;
  /** What the script printed for people (its table), without its JSON line. */
  lines: string[];
  /** Its JSON result line, when it prints one. */
  json: unknown;
  /** Why it produced nothing, when it failed. */
  error?: string;
}

const SCRIPTS: { script: string; args: (quick: boolean) => string[] }[] = [
  { script: 'durable-objects.ts', args: (quick) => (quick ? ['--duration', '2', '--puts', '200'] : []) },
  { script: 'websockets.ts', args: () => [] },
  { script: 'analytics.ts', args: (quick) => (quick ? ['--quick'] : []) },
  { script: 'cache.ts', args: (quick) => (quick ? ['--quick'] : []) },
  { script: 'queues.ts', args: (quick) => (quick ? ['--messages', '5000'] : []) },
];

export async function measureBindings(options: { quick: boolean; log: (line: string) => void }): Promise<BindingFigures[]> {
  const out: BindingFigures[] = [];
  for (const { script, args } of SCRIPTS) {
    options.log(`  ${script}`);
    try {
      const stdout = await runChild(process.execPath, [...NODE_FLAGS, join(here, script), ...args(options.quick)], 600_000);
      const lines = stdout.split('\n').filter((line) => line.trim() !== '');
      const jsonLine = [...lines].reverse().find((line) => line.startsWith('{'));
      out.push({ script, lines: lines.filter((line) => line !== jsonLine), json: jsonLine === undefined ? null : JSON.parse(jsonLine) as unknown });
    } catch (err) {
      // One binding's script failing leaves the others' figures, and says why.
      out.push({ script, lines: [], json: null, error: err instanceof Error ? err.message.slice(0, 500) : String(err) });
    }
  }
  return out;
}

export function renderBindings(figures: readonly BindingFigures[]): string {
  const lines = ['Bindings (each script in its own process; bench/<script> runs one alone)'];
  for (const f of figures) {
    lines.push(`  ${f.script}`);
    if (f.error !== undefined) lines.push(`    failed: ${f.error}`);
    for (const line of f.lines) lines.push(`    ${line}`);
  }
  return lines.join('\n');
}
