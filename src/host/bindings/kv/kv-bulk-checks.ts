// Bulk writes and deletes in the format of Cloudflare's REST API (PUT .../bulk, POST .../bulk/delete)
// and of wrangler's `kv bulk` files. Every item of a request is checked before anything is written, by
// the same checks a worker's put() and delete() make, so a request is refused whole, naming each
// wrong item, and never half applied.
import type { KvWrite } from '../../storage/kv/kv-store.js';
import { checkKey, checkPut } from './kv-binding.js';
import { KvError } from './kv-limits.js';

/**
 * Cloudflare's bound on one bulk request: "up to 10,000 key-value pairs"
 * (developers.cloudflare.com/api/resources/kv/subresources/namespaces/methods/bulk_update/).
 */
export const KV_BULK_MAX_PAIRS = 10_000;

/** wrangler reports at most this many wrong items, so a file in the wrong format does not flood the terminal. */
const MAX_PROBLEMS = 12;

/** The fields of a bulk write item (wrangler's KeyValue, Cloudflare's bulk_update body). */
export interface KvBulkItem {
  key: string;
  value: string;
  expiration?: number;
  expiration_ttl?: number;
  metadata?: unknown;
  base64?: boolean;
}

const ITEM_FIELDS = new Set(['key', 'value', 'expiration', 'expiration_ttl', 'metadata', 'base64']);

/** One wrong item: its index in the array, its key when it has a string one, and why. */
export interface KvBulkProblem {
  index: number;
  key: string | null;
  reason: string;
}

/** A bulk request refused before anything was written. */
export class KvBulkError extends Error {
  readonly code = 'ERR_KV_BULK_INVALID';
  /** The first wrong items (at most 12); `count` says how many there were in all. */
  readonly problems: readonly KvBulkProblem[];
  readonly count: number;

  constructor(summary: string, problems: readonly KvBulkProblem[] = [], count = problems.length) {
    const shown = problems.map(describeProblem);
    if (count > problems.length) shown.push(`... and ${count - problems.length} more`);
    super([summary, ...shown].join('\n'));
    this.name = 'KvBulkError';
    this.problems = problems;
    this.count = count;
  }
}

export function describeProblem(problem: KvBulkProblem): string {
  const key = problem.key === null ? '' : ` (key ${JSON.stringify(shorten(problem.key))})`;
  return `  item at index ${problem.index}${key}: ${problem.reason}`;
}

/** The checked writes of a bulk put, one per item and in the same order, and items' fields that are ignored. */
export interface KvBulkPut {
  writes: KvWrite[];
  /** Items with fields outside the format, which are not written (wrangler warns about them too). */
  unknownFields: { index: number; fields: string[] }[];
}

/**
 * Checks every item of a bulk put and turns it into a write; `nowSeconds` anchors `expiration_ttl`.
 * Throws KvBulkError naming the wrong items, so nothing is written when any item is wrong.
 */
export function checkBulkPut(items: unknown, nowSeconds: number): KvBulkPut {
  if (!Array.isArray(items)) {
    throw new KvBulkError(`Expected a JSON array of {"key", "value"} objects, got ${describeJson(items)}.`);
  }
  const writes: KvWrite[] = [];
  const unknownFields: KvBulkPut['unknownFields'] = [];
  const problems = new ProblemList();
  items.forEach((item: unknown, index) => {
    const checked = checkPutItem(item, nowSeconds);
    if (typeof checked === 'string') {
      const key = typeof item === 'object' && item !== null ? (item as { key?: unknown }).key : undefined;
      problems.add({ index, key: typeof key === 'string' ? key : null, reason: checked });
      return;
    }
    writes.push(checked);
    const extra = Object.keys(item as object).filter((field) => !ITEM_FIELDS.has(field));
    if (extra.length > 0) unknownFields.push({ index, fields: extra });
  });
  problems.throwIfAny(items.length, 'written');
  return { writes, unknownFields };
}

/**
 * Checks the keys of a bulk delete. Cloudflare's API takes key strings; wrangler's files may also hold
 * `{"name": key}` objects, as `kv key list` prints them (`named`).
 */
export function checkBulkDelete(items: unknown, named: boolean): string[] {
  const expected = named ? 'key strings or {"name": key} objects' : 'key strings';
  if (!Array.isArray(items)) throw new KvBulkError(`Expected a JSON array of ${expected}, got ${describeJson(items)}.`);
  const keys: string[] = [];
  const problems = new ProblemList();
  items.forEach((item: unknown, index) => {
    const key = named && typeof item === 'object' && item !== null && !Array.isArray(item) ? (item as { name?: unknown }).name : item;
    if (typeof key !== 'string') {
      problems.add({ index, key: null, reason: `expected ${named ? 'a key string or a {"name": key} object' : 'a key string'}, got ${describeJson(item)}` });
      return;
    }
    try {
      keys.push(checkKey(key, 'delete', 'DELETE'));
    } catch (err) {
      if (!(err instanceof KvError)) throw err;
      problems.add({ index, key, reason: err.message });
    }
  });
  problems.throwIfAny(items.length, 'deleted');
  return keys;
}

/** The write for one item, or why it cannot be written. */
function checkPutItem(item: unknown, nowSeconds: number): KvWrite | string {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) {
    return `expected an object with "key" and "value", got ${describeJson(item)}`;
  }
  const { key, value, expiration, expiration_ttl: expirationTtl, metadata, base64 } = item as Record<string, unknown>;
  if (key === undefined) return '"key" is missing';
  if (typeof key !== 'string') return `"key" must be a string, got ${describeJson(key)}`;
  if (value === undefined) return '"value" is missing';
  if (typeof value !== 'string') return `"value" must be a string (for bytes, their base64 with "base64": true), got ${describeJson(value)}`;
  if (!isAbsent(base64) && typeof base64 !== 'boolean') return `"base64" must be true or false, got ${describeJson(base64)}`;
  for (const [field, seconds] of [['expiration', expiration], ['expiration_ttl', expirationTtl]] as const) {
    if (!isAbsent(seconds) && !Number.isInteger(seconds)) return `"${field}" must be a whole number of seconds, got ${describeJson(seconds)}`;
  }
  // wrangler's format types metadata as an object; arrays are objects to it too.
  if (!isAbsent(metadata) && typeof metadata !== 'object') return `"metadata" must be a JSON object, got ${describeJson(metadata)}`;
  let bytes: Uint8Array;
  if (base64 === true) {
    const decoded = decodeBase64(value);
    if (decoded === null) return '"value" is not valid base64 (RFC 4648, "+" and "/", no line breaks), though "base64" is true';
    bytes = decoded;
  } else {
    bytes = Buffer.from(value, 'utf8');
  }
  try {
    return checkPut(key, bytes, {
      expiration, expirationTtl, ...(isAbsent(metadata) ? {} : { metadata: JSON.stringify(metadata) }),
    }, nowSeconds);
  } catch (err) {
    if (err instanceof KvError) return err.message;
    throw err;
  }
}

class ProblemList {
  readonly problems: KvBulkProblem[] = [];
  count = 0;

  add(problem: KvBulkProblem): void {
    this.count++;
    if (this.problems.length < MAX_PROBLEMS) this.problems.push(problem);
  }

  throwIfAny(total: number, verb: string): void {
    if (this.count === 0) return;
    const which = this.count === 1 ? '1 item' : `${this.count} items`;
    throw new KvBulkError(`${which} of ${total} cannot be ${verb}, so nothing was ${verb}:`, this.problems, this.count);
  }
}

function isAbsent(value: unknown): value is undefined | null {
  return value === undefined || value === null;
}

/** Strict standard base64: Buffer.from skips characters it does not know, which would store other bytes than meant. */
function decodeBase64(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.replace(/=+$/, '').length % 4 === 1) return null;
  const bytes = Buffer.from(text, 'base64');
  const canonical = bytes.toString('base64');
  return canonical === text || canonical.replace(/=+$/, '') === text ? bytes : null;
}

function describeJson(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function shorten(key: string): string {
  return key.length > 60 ? `${key.slice(0, 40)}...(${Buffer.byteLength(key, 'utf8')} bytes)` : key;
}
