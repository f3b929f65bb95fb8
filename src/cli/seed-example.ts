// An example may ship seed.json ({BINDING: {key: value}}): keys that do not exist yet are written, so
// a user's own changes survive the next start.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Islet } from '../host/islet.js';
import type { WorkerConfig } from '../host/workers/worker-config.js';

export async function seedExample(islet: Islet, dir: string, config: WorkerConfig): Promise<void> {
  const path = join(dir, 'seed.json');
  if (!existsSync(path)) return;
  const seed = JSON.parse(readFileSync(path, 'utf8')) as Record<string, Record<string, string>>;
  for (const [bindingName, entries] of Object.entries(seed)) {
    const namespace = config.kvNamespaces.find((ns) => ns.binding === bindingName);
    if (namespace === undefined) throw new Error(`${path}: no KV binding ${bindingName} in the example's config`);
    const kv = islet.kvNamespace(namespace.id);
    for (const [key, value] of Object.entries(entries)) {
      if ((await kv.get(key, undefined)) === null) await kv.put(key, Buffer.from(value, 'utf8'));
    }
  }
}
