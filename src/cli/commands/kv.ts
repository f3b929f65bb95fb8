// islet kv key put|get|list|delete, as wrangler's `kv key` commands, against the same local state
// `islet dev` uses, so data can be seeded before or while it runs, or with --server against a worker's
// namespace on islet serve. Writes go through the same checks a worker's binding applies (key and value
// limits, expiration rules).
import { readFileSync } from 'node:fs';
import { UsageError, parse } from '../args.js';
import { kvBulk } from './kv-bulk.js';
import { openNamespace } from './kv-namespace.js';
import { checkJson, kvOverServer, wholeNumber } from './kv-server.js';

export const KV_HELP = `islet kv key <command> [options]
islet kv bulk <command> <file.json> [options]

Commands:
  key put <key> [value]   write a value (or --path FILE)   options: --ttl N, --expiration N, --metadata JSON
  key get <key>           print the raw value
  key list                print the keys as JSON            options: --prefix P
  key delete <key>        delete a key
  bulk put <file.json>    write every entry of a JSON array of {"key", "value", "expiration"?,
                          "expiration_ttl"?, "metadata"?, "base64"?} (wrangler's format)
  bulk delete <file.json> delete the keys of a JSON array of key strings or {"name"} objects (what
                          key list prints); asks first on a terminal    options: --force, -f

The whole file is checked before anything is written; it is then written in batches of up to 1,000
keys (or 16 MiB), each all or nothing, with progress on stderr.

Options:
  --binding NAME       the KV binding in wrangler.toml whose namespace to use
  --namespace-id ID    the namespace id, instead of --binding
  --config FILE        the wrangler config (default: found from the current directory)
  --local              use local state (the same state islet dev uses)
  --persist-to DIR     where local state is kept (default: .islet next to the config)
  --server URL         use the worker's namespace on islet serve, over its admin API (without --local
                       or --server: $ISLET_SERVER when set)
  --token TOKEN        with --server: the admin token (default: $ISLET_ADMIN_TOKEN)
  --name WORKER        with --server: the worker whose --binding to use (default: "name" in the config)
`;

const OPTIONS = {
  binding: { type: 'string' }, 'namespace-id': { type: 'string' }, config: { type: 'string', short: 'c' },
  local: { type: 'boolean' }, 'persist-to': { type: 'string' }, path: { type: 'string' }, ttl: { type: 'string' },
  expiration: { type: 'string' }, metadata: { type: 'string' }, prefix: { type: 'string' }, text: { type: 'boolean' },
  server: { type: 'string' }, token: { type: 'string' }, name: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function kv(argv: string[]): Promise<number> {
  const [group, command, ...rest] = argv;
  if (group === undefined || group === '--help' || group === '-h') { process.stdout.write(KV_HELP); return 0; }
  if (group !== 'key' && group !== 'bulk') throw new UsageError(`Unknown kv command "${group}". Use: islet kv key put|get|list|delete, or islet kv bulk put|delete`);
  if (command === undefined || command === '--help' || command === '-h') { process.stdout.write(KV_HELP); return 0; }
  if (group === 'bulk') {
    if (rest.includes('--help') || rest.includes('-h')) { process.stdout.write(KV_HELP); return 0; }
    return kvBulk(command, rest);
  }
  const { values, positionals } = parse(rest, OPTIONS);
  if (values.help === true) { process.stdout.write(KV_HELP); return 0; }
  const expected = command === 'put' ? (values.path === undefined ? 2 : 1) : command === 'list' ? 0 : 1;
  if (positionals.length > expected) {
    throw new UsageError(`Too many arguments for "kv key ${command}": ${positionals.slice(expected).join(' ')}${command === 'put' && values.path !== undefined ? ' (give the value either as an argument or with --path, not both)' : ''}`);
  }
  if (values.local === true && values.server !== undefined) throw new UsageError('Choose --local or --server, not both.');
  const envServer = process.env['ISLET_SERVER'];
  if (values.server !== undefined || (values.local !== true && envServer !== undefined && envServer !== '')) {
    return kvOverServer(command, positionals, values);
  }
  if (values.local !== true) {
    throw new UsageError('Add --local to use local state (the state islet dev uses), or --server URL for a worker\'s namespace on islet serve.');
  }
  const { store, namespaceId, binding } = openNamespace(values);
  try {
    switch (command) {
      case 'put': {
        const key = positionals[0];
        if (key === undefined) throw new UsageError('Usage: islet kv key put <key> [value] --binding NAME --local');
        let value: Uint8Array;
        if (values.path !== undefined) value = readFileSync(values.path);
        else if (positionals[1] !== undefined) value = Buffer.from(positionals[1], 'utf8');
        else throw new UsageError('Give the value as an argument or with --path FILE.');
        await binding.put(key, value, {
          ...(values.ttl !== undefined ? { expirationTtl: wholeNumber(values.ttl, '--ttl') } : {}),
          ...(values.expiration !== undefined ? { expiration: wholeNumber(values.expiration, '--expiration') } : {}),
          ...(values.metadata !== undefined ? { metadata: checkJson(values.metadata) } : {}),
        });
        process.stderr.write(`Writing the value to key "${key}" in namespace ${namespaceId}.\n`);
        return 0;
      }
      case 'get': {
        const key = positionals[0];
        if (key === undefined) throw new UsageError('Usage: islet kv key get <key> --binding NAME --local');
        const entry = await binding.get(key, undefined);
        if (entry === null) { process.stdout.write('Value not found\n'); return 1; }
        process.stdout.write(entry.value);
        return 0;
      }
      case 'list': {
        const keys: unknown[] = [];
        let cursor: string | undefined;
        do {
          const page = await binding.list({ prefix: values.prefix, ...(cursor !== undefined ? { cursor } : {}) });
          keys.push(...page.keys);
          cursor = page.list_complete ? undefined : page.cursor;
        } while (cursor !== undefined);
        process.stdout.write(`${JSON.stringify(keys, null, 2)}\n`);
        return 0;
      }
      case 'delete': {
        const key = positionals[0];
        if (key === undefined) throw new UsageError('Usage: islet kv key delete <key> --binding NAME --local');
        await binding.delete(key);
        process.stderr.write(`Deleted key "${key}" from namespace ${namespaceId}.\n`);
        return 0;
      }
      default:
        throw new UsageError(`Unknown kv key command "${command}". Use put, get, list or delete.`);
    }
  } finally {
    store.close();
  }
}
