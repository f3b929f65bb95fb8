// islet kv key ... --server: the same commands and output as with --local, on a worker's namespace in a
// running islet serve. The server resolves the binding in the worker's current deployment (within
// its tenant) and applies KV's limits, so its error messages are the ones a worker would see.
import { readFileSync } from 'node:fs';
import { checkKey } from '../../host/bindings/kv/kv-binding.js';
import type { KvPutOptions } from '../admin-client.js';
import { adminClient, workerName } from '../admin-options.js';
import type { KvKey } from '../admin-responses.js';
import { UsageError } from '../args.js';

export interface KvServerValues {
  server?: string | undefined;
  token?: string | undefined;
  name?: string | undefined;
  config?: string | undefined;
  binding?: string | undefined;
  'namespace-id'?: string | undefined;
  path?: string | undefined;
  ttl?: string | undefined;
  expiration?: string | undefined;
  metadata?: string | undefined;
  prefix?: string | undefined;
}

export async function kvOverServer(command: string, positionals: string[], values: KvServerValues): Promise<number> {
  if (values['namespace-id'] !== undefined) {
    throw new UsageError('With --server, say which namespace by the worker\'s binding: --binding NAME (and --name WORKER); the server maps it to the namespace id.');
  }
  const binding = values.binding;
  if (binding === undefined) throw new UsageError('Say which namespace: --binding NAME, a KV binding of the worker on the server.');
  if (!['put', 'get', 'list', 'delete'].includes(command)) throw new UsageError(`Unknown kv key command "${command}". Use put, get, list or delete.`);
  const worker = workerName(undefined, values, `islet kv key ${command} ... --binding NAME --server URL --name WORKER`);
  const client = adminClient(values);
  const where = `binding ${binding} of ${worker} on ${client.url}`;
  switch (command) {
    case 'put': {
      const key = positionals[0];
      if (key === undefined) throw new UsageError('Usage: islet kv key put <key> [value] --binding NAME --server URL');
      // The key travels as a path segment: KV's own refusal beats an unknown-endpoint answer for "" or "..".
      checkKey(key, 'put', 'PUT');
      let value: Uint8Array;
      if (values.path !== undefined) value = readFileSync(values.path);
      else if (positionals[1] !== undefined) value = Buffer.from(positionals[1], 'utf8');
      else throw new UsageError('Give the value as an argument or with --path FILE.');
      const options: KvPutOptions = {
        ...(values.ttl !== undefined ? { expirationTtl: wholeNumber(values.ttl, '--ttl') } : {}),
        ...(values.expiration !== undefined ? { expiration: wholeNumber(values.expiration, '--expiration') } : {}),
        ...(values.metadata !== undefined ? { metadata: checkJson(values.metadata) } : {}),
      };
      await client.kvPut(worker, binding, key, value, options);
      process.stderr.write(`Writing the value to key "${key}" in ${where}.\n`);
      return 0;
    }
    case 'get': {
      const key = positionals[0];
      if (key === undefined) throw new UsageError('Usage: islet kv key get <key> --binding NAME --server URL');
      checkKey(key, 'get', 'GET');
      const value = await client.kvGet(worker, binding, key);
      if (value === null) { process.stdout.write('Value not found\n'); return 1; }
      process.stdout.write(value);
      return 0;
    }
    case 'list': {
      const keys: KvKey[] = [];
      let cursor: string | undefined;
      do {
        const page = await client.kvList(worker, binding, { prefix: values.prefix, ...(cursor !== undefined ? { cursor } : {}) });
        keys.push(...page.keys);
        cursor = page.list_complete ? undefined : page.cursor;
      } while (cursor !== undefined);
      process.stdout.write(`${JSON.stringify(keys, null, 2)}\n`);
      return 0;
    }
    default: {
      const key = positionals[0];
      if (key === undefined) throw new UsageError('Usage: islet kv key delete <key> --binding NAME --server URL');
      checkKey(key, 'delete', 'DELETE');
      await client.kvDelete(worker, binding, key);
      process.stderr.write(`Deleted key "${key}" from ${where}.\n`);
      return 0;
    }
  }
}

export function wholeNumber(text: string, flag: string): number {
  if (!/^\d+$/.test(text)) throw new UsageError(`${flag} expects a whole number of seconds, got "${text}"`);
  return Number(text);
}

export function checkJson(text: string): string {
  try { JSON.parse(text); } catch { throw new UsageError(`--metadata must be JSON, got ${text}`); }
  return text;
}
