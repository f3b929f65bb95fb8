// islet kv bulk put|delete <file.json>, as wrangler's `kv bulk` commands, on local state (--local) or a
// worker's namespace on islet serve (--server). The whole file is checked first, with the checks a
// worker's binding makes, so a wrong entry stops the command before anything is written. Then it goes
// in batches, each written whole or not at all, with progress, and a failure says which batches were
// written so the user knows where things stand.
import { readFileSync } from 'node:fs';
import { checkBulkDelete, checkBulkPut, type KvBulkItem } from '../../host/bindings/kv/kv-bulk-checks.js';
import type { KvWrite } from '../../host/storage/kv/kv-store.js';
import { AdminError } from '../admin-client.js';
import { adminClient, workerName } from '../admin-options.js';
import { UsageError, parse } from '../args.js';
import { bulkProgress, formatCount } from '../bulk-progress.js';
import { confirm } from '../confirm.js';
import { openNamespace } from './kv-namespace.js';

/**
 * Keys per batch: wrangler's own batch size, a tenth of Cloudflare's 10,000 per request. Each batch is
 * one SQLite transaction, and while it commits the workers' KV writes to the same file wait for it, so
 * it should take milliseconds, not seconds; a failed batch also costs at most this much work to redo.
 */
export const BATCH_KEYS = 1_000;
/**
 * Bytes per batch (of the request body; locally, of keys, values and metadata): bounds what the server
 * holds per request, and the time a batch of large values holds the write lock, far below the admin
 * API's 64 MiB body limit. A batch always takes at least one entry, so one 25 MiB value still goes.
 */
export const BATCH_BYTES = 16 * 1024 * 1024;
/** An item whose JSON would not fit in a request (a 25 MiB value of control characters, escaped) goes as base64. */
const MAX_ITEM_JSON = 48 * 1024 * 1024;

const OPTIONS = {
  binding: { type: 'string' }, 'namespace-id': { type: 'string' }, config: { type: 'string', short: 'c' },
  local: { type: 'boolean' }, 'persist-to': { type: 'string' },
  server: { type: 'string' }, token: { type: 'string' }, name: { type: 'string' },
  force: { type: 'boolean', short: 'f' }, help: { type: 'boolean', short: 'h' },
} as const;

/** A failure the user can act on: printed as its message alone. */
class BulkFailed extends Error {
  readonly code = 'ERR_KV_BULK';
}

/** Where the batches go: local state, or the admin API of islet serve. */
interface BulkTarget {
  /** How the summary and errors name the namespace. */
  where: string;
  /** Batches go as request bodies, so their JSON size is what counts. */
  remote: boolean;
  put(items: readonly KvBulkItem[], writes: readonly KvWrite[]): Promise<void>;
  delete(keys: readonly string[]): Promise<void>;
  close(): void;
}

export async function kvBulk(command: string, argv: string[]): Promise<number> {
  if (command !== 'put' && command !== 'delete') throw new UsageError(`Unknown kv bulk command "${command}". Use put or delete.`);
  const { values, positionals } = parse(argv, OPTIONS);
  const [file, ...extra] = positionals;
  const usage = `islet kv bulk ${command} <file.json> --binding NAME (--local | --server URL)`;
  if (file === undefined) throw new UsageError(`Say which file: ${usage}`);
  if (extra.length > 0) throw new UsageError(`Too many arguments for "kv bulk ${command}": ${extra.join(' ')}`);
  if (values.force === true && command === 'put') throw new UsageError('--force is for kv bulk delete (which otherwise asks first on a terminal).');
  const target = openTarget(values, usage);
  try {
    const content = readJsonFile(file);
    return command === 'put' ? await bulkPut(file, content, target) : await bulkDelete(file, content, target, values.force === true);
  } finally {
    target.close();
  }
}

function openTarget(values: ReturnType<typeof parse<typeof OPTIONS>>['values'], usage: string): BulkTarget {
  if (values.local === true && values.server !== undefined) throw new UsageError('Choose --local or --server, not both.');
  const envServer = process.env['ISLET_SERVER'];
  if (values.server !== undefined || (values.local !== true && envServer !== undefined && envServer !== '')) {
    if (values['namespace-id'] !== undefined) {
      throw new UsageError('With --server, say which namespace by the worker\'s binding: --binding NAME (and --name WORKER); the server maps it to the namespace id.');
    }
    const binding = values.binding;
    if (binding === undefined) throw new UsageError('Say which namespace: --binding NAME, a KV binding of the worker on the server.');
    const worker = workerName(undefined, values, `${usage} --name WORKER`);
    const client = adminClient(values);
    return {
      where: `binding ${binding} of ${worker} on ${client.url}`,
      remote: true,
      put: async (items) => { await client.kvBulkPut(worker, binding, items); },
      delete: async (keys) => { await client.kvBulkDelete(worker, binding, keys); },
      close: () => {},
    };
  }
  if (values.local !== true) {
    throw new UsageError('Add --local to use local state (the state islet dev uses), or --server URL for a worker\'s namespace on islet serve.');
  }
  const { store, namespaceId, binding } = openNamespace(values);
  return {
    where: `namespace ${namespaceId}`,
    remote: false,
    put: (_items, writes) => binding.putMany(writes),
    delete: (keys) => binding.deleteMany(keys),
    close: () => store.close(),
  };
}

function readJsonFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new BulkFailed(`Cannot read ${file}: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new BulkFailed(`${file} is not valid JSON (${(err as Error).message}); nothing was written.`);
  }
}

async function bulkPut(file: string, content: unknown, target: BulkTarget): Promise<number> {
  let checked: ReturnType<typeof checkBulkPut>;
  try {
    checked = checkBulkPut(content, Math.floor(Date.now() / 1000));
  } catch (err) {
    throw new BulkFailed(`${file}: ${(err as Error).message}`);
  }
  const { writes, unknownFields } = checked;
  if (unknownFields.length > 0) {
    const shown = unknownFields.slice(0, 12).map(({ index, fields }) => `  item at index ${index}: ${fields.map((f) => JSON.stringify(f)).join(', ')}`);
    if (unknownFields.length > 12) shown.push(`  ... and ${unknownFields.length - 12} more`);
    process.stderr.write(`Warning: ${file} has fields outside the format (key, value, expiration, expiration_ttl, metadata, base64); they are ignored:\n${shown.join('\n')}\n`);
  }
  // The file's own fields go to the server, so expiration_ttl counts from when the server writes.
  const items = target.remote ? (content as Record<string, unknown>[]).map((item, index) => wireItem(item, writes[index]!)) : [];
  const sizes = target.remote
    ? items.map((item) => Buffer.byteLength(JSON.stringify(item), 'utf8'))
    : writes.map(({ key, entry }) => Buffer.byteLength(key, 'utf8') + entry.value.byteLength + (entry.metadata?.length ?? 0));
  const started = performance.now();
  await inBatches(writes.length, sizes, 'Uploaded', (start, end) => target.put(items.slice(start, end), writes.slice(start, end)), (start, end, err) => [
    `Writing items ${formatCount(start)} to ${formatCount(end - 1)} of ${file} to ${target.where} failed: ${(err as Error).message}`,
    outcome(start, err, 'written'),
    'Fix the cause and run the same command again: writing a key again overwrites it with the same value (an expiration_ttl starts over).',
  ]);
  process.stderr.write(`Success! Wrote ${keys(writes.length)} to ${target.where} in ${seconds(started)}.\n`);
  return 0;
}

async function bulkDelete(file: string, content: unknown, target: BulkTarget, force: boolean): Promise<number> {
  let keyList: string[];
  try {
    keyList = checkBulkDelete(content, true);
  } catch (err) {
    throw new BulkFailed(`${file}: ${(err as Error).message}`);
  }
  if (!force && process.stdin.isTTY) await confirm(`Delete the ${keys(keyList.length)} listed in ${file} from ${target.where}? [y/N] `);
  const sizes = keyList.map((key) => Buffer.byteLength(JSON.stringify(key), 'utf8'));
  const started = performance.now();
  await inBatches(keyList.length, sizes, 'Deleted', (start, end) => target.delete(keyList.slice(start, end)), (start, end, err) => [
    `Deleting items ${formatCount(start)} to ${formatCount(end - 1)} of ${file} from ${target.where} failed: ${(err as Error).message}`,
    outcome(start, err, 'deleted'),
    'Fix the cause and run the same command again: deleting a key that is already gone is harmless.',
  ]);
  process.stderr.write(`Success! Deleted ${keys(keyList.length)} from ${target.where} in ${seconds(started)}.\n`);
  return 0;
}

/**
 * Runs `write` over consecutive batches of at most BATCH_KEYS items and BATCH_BYTES (by `sizes`), one
 * after another, reporting progress; a failure stops it with the lines `failure` gives.
 */
async function inBatches(
  total: number,
  sizes: readonly number[],
  verb: 'Uploaded' | 'Deleted',
  write: (start: number, end: number) => Promise<void>,
  failure: (start: number, end: number, err: unknown) => string[],
): Promise<void> {
  if (total === 0) return;
  const progress = bulkProgress(verb, total);
  progress.update(0);
  let start = 0;
  while (start < total) {
    let end = start;
    let bytes = 0;
    while (end < total && end - start < BATCH_KEYS && (end === start || bytes + sizes[end]! <= BATCH_BYTES)) bytes += sizes[end++]!;
    try {
      await write(start, end);
    } catch (err) {
      progress.end();
      throw new BulkFailed(failure(start, end, err).join('\n'));
    }
    start = end;
    progress.update(start);
  }
  progress.end();
}

function wireItem(item: Record<string, unknown>, write: KvWrite): KvBulkItem {
  const wire: KvBulkItem = { key: write.key, value: item['value'] as string };
  if (item['base64'] === true) wire.base64 = true;
  if (typeof item['expiration'] === 'number') wire.expiration = item['expiration'];
  if (typeof item['expiration_ttl'] === 'number') wire.expiration_ttl = item['expiration_ttl'];
  if (item['metadata'] !== undefined && item['metadata'] !== null) wire.metadata = item['metadata'];
  if (wire.base64 !== true && Buffer.byteLength(JSON.stringify(wire.value), 'utf8') > MAX_ITEM_JSON) {
    return { ...wire, value: Buffer.from(write.entry.value).toString('base64'), base64: true };
  }
  return wire;
}

/**
 * What stands after a failed batch. Batches are all or nothing, and an error answer means the server
 * refused the batch; only when no answer came may it have gone through.
 */
function outcome(start: number, err: unknown, verb: string): string {
  const unanswered = err instanceof AdminError && err.status === null;
  const before = start === 0 ? `Nothing before this batch was ${verb}` : `Items 0 to ${formatCount(start - 1)} (${keys(start)}) were ${verb}`;
  const batch = unanswered ? `this batch may or may not have been ${verb} (no answer came)` : `none of this batch was (a batch is ${verb} whole or not at all)`;
  return `${before}; ${batch}; nothing after it was.`;
}

function keys(count: number): string {
  return count === 1 ? '1 key' : `${formatCount(count)} keys`;
}

function seconds(since: number): string {
  const ms = performance.now() - since;
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}
