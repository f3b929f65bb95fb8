// The local KV namespace a `kv` command works on: by --namespace-id, or by a --binding of the wrangler
// config, in the same SQLite file `islet dev` keeps its state in.
import { join } from 'node:path';
import { KvBinding } from '../../host/bindings/kv/kv-binding.js';
import { SqliteKvStore } from '../../host/storage/kv/sqlite-kv-store.js';
import { readWorkerConfig } from '../../host/workers/read-wrangler-config.js';
import { UsageError } from '../args.js';

export interface NamespaceOptions {
  binding?: string | undefined;
  'namespace-id'?: string | undefined;
  config?: string | undefined;
  'persist-to'?: string | undefined;
}

export interface LocalNamespace {
  /** The caller closes it. */
  store: SqliteKvStore;
  namespaceId: string;
  binding: KvBinding;
}

export function openNamespace(values: NamespaceOptions): LocalNamespace {
  const cwd = process.cwd();
  let namespaceId = values['namespace-id'];
  let rootDir = cwd;
  if (namespaceId === undefined) {
    if (values.binding === undefined) throw new UsageError('Say which namespace: --binding NAME (from wrangler.toml) or --namespace-id ID.');
    const config = readWorkerConfig({ cwd, ...(values.config !== undefined ? { configPath: values.config } : {}), requireMain: false });
    const namespace = config.kvNamespaces.find((ns) => ns.binding === values.binding);
    if (namespace === undefined) {
      const known = config.kvNamespaces.map((ns) => ns.binding).join(', ') || 'none';
      throw new UsageError(`No KV binding named "${values.binding}" in ${config.configPath ?? 'the config'} (bindings: ${known}).`);
    }
    namespaceId = namespace.id;
    rootDir = config.rootDir;
  }
  const store = new SqliteKvStore(values['persist-to'] ?? join(rootDir, '.islet'));
  return { store, namespaceId, binding: new KvBinding(store, namespaceId) };
}
