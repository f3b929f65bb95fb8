import { types } from 'node:util';
import {
  decodeKvCursor,
  type KvEntry,
  type KvListResult,
  type KvStore,
  type KvWrite,
  type MaybePromise,
} from '../../storage/kv/kv-store.js';
import {
  KV_INT_MAX,
  KV_INT_MIN,
  KV_MAX_KEY_BYTES,
  KV_MAX_LIST_LIMIT,
  KV_MAX_METADATA_BYTES,
  KV_MAX_VALUE_BYTES,
  KV_MIN_CACHE_TTL,
  KV_MIN_EXPIRATION_TTL,
  kvErrors,
  type KvMethod,
} from './kv-limits.js';

export { KvError, type KvErrorCode } from './kv-limits.js';

export interface KvPutOptions {
  expiration?: unknown;
  expirationTtl?: unknown;
  /** JSON text produced by the isolate side, or undefined for none. */
  metadata?: unknown;
}

export interface KvListCallOptions {
  prefix?: unknown;
  limit?: unknown;
  cursor?: unknown;
}

/**
 * The host half of a Workers KV namespace binding. Everything arriving here
 * came out of tenant code, so each argument is checked as `unknown`, and every
 * check runs before the store is touched: a refused call stores nothing.
 */
export class KvBinding {
  readonly #store: KvStore;
  readonly #namespace: string;
  readonly #clock: () => number;

  /** `clock` returns milliseconds since the Unix epoch, like `Date.now`. */
  constructor(store: KvStore, namespaceId: string, clock: () => number = Date.now) {
    this.#store = store;
    this.#namespace = namespaceId;
    this.#clock = clock;
  }

  get(key: unknown, cacheTtl: unknown): MaybePromise<KvEntry | null> {
    // Workers converts option integers while unpacking arguments, before it
    // looks at the key, so a range error wins over a key error.
    const ttl = isAbsent(cacheTtl) ? undefined : toWorkersInt(cacheTtl, 'cacheTtl');
    const name = checkKey(key, 'get', 'GET');
    // cacheTtl only tunes edge caching, which a single node does not have; it
    // is still validated so code that breaks on Cloudflare breaks here too.
    if (ttl !== undefined && ttl < KV_MIN_CACHE_TTL) throw kvErrors.cacheTtlTooShort(ttl);
    return this.#store.get(this.#namespace, name, this.#nowSeconds());
  }

  put(key: unknown, value: unknown, options: KvPutOptions = {}): MaybePromise<void> {
    const { key: name, entry } = checkPut(key, value, options, this.#nowSeconds());
    return this.#store.put(this.#namespace, name, entry);
  }

  delete(key: unknown): MaybePromise<void> {
    const name = checkKey(key, 'delete', 'DELETE');
    return this.#store.delete(this.#namespace, name);
  }

  /**
   * Writes a bulk put's entries, each made by `checkPut` (kv-bulk-checks.ts checks a whole request first):
   * all or none in one transaction where the store has one, else one put after another.
   */
  async putMany(writes: readonly KvWrite[]): Promise<void> {
    if (this.#store.putMany !== undefined) { await this.#store.putMany(this.#namespace, writes); return; }
    for (const { key, entry } of writes) await this.#store.put(this.#namespace, key, entry);
  }

  /** Deletes keys already checked with `checkKey`, as `putMany` writes. */
  async deleteMany(keys: readonly string[]): Promise<void> {
    if (this.#store.deleteMany !== undefined) { await this.#store.deleteMany(this.#namespace, keys); return; }
    for (const key of keys) await this.#store.delete(this.#namespace, key);
  }

  list(options: KvListCallOptions = {}): MaybePromise<KvListResult> {
    const requested = isAbsent(options.limit) ? undefined : toWorkersInt(options.limit, 'limit');
    // workerd only forwards a limit above zero, so zero or less lists with the
    // default page size on Cloudflare rather than failing.
    let limit = KV_MAX_LIST_LIMIT;
    if (requested !== undefined && requested > 0) {
      if (requested > KV_MAX_LIST_LIMIT) throw kvErrors.limitTooLarge(requested);
      limit = requested;
    }

    let prefix = '';
    if (!isAbsent(options.prefix)) {
      if (typeof options.prefix !== 'string') throw kvErrors.prefixNotString();
      prefix = options.prefix;
      const prefixBytes = Buffer.byteLength(prefix, 'utf8');
      if (prefixBytes > KV_MAX_KEY_BYTES) throw kvErrors.keyTooLong('GET', prefixBytes);
    }

    let cursor: string | null = null;
    if (!isAbsent(options.cursor)) {
      if (typeof options.cursor !== 'string') throw kvErrors.cursorNotString();
      // An empty cursor is refused too: Workers forwards "" to the service,
      // which rejects it (miantiao-me/Sink#90).
      if (decodeKvCursor(options.cursor) === null) throw kvErrors.invalidCursor();
      cursor = options.cursor;
    }

    return this.#store.list(this.#namespace, { prefix, limit, cursor }, this.#nowSeconds());
  }

  #nowSeconds(): number {
    return Math.floor(this.#clock() / 1000);
  }
}

function isAbsent(value: unknown): value is undefined | null {
  return value === undefined || value === null;
}

/**
 * Every check `put` makes, in the KV service's order (expiration, then metadata, then value size),
 * turning its arguments into what the store keeps; `nowSeconds` anchors `expirationTtl`.
 */
export function checkPut(key: unknown, value: unknown, options: KvPutOptions, nowSeconds: number): KvWrite {
  const expirationTtl = isAbsent(options.expirationTtl)
    ? undefined
    : toWorkersInt(options.expirationTtl, 'expirationTtl');
  const expirationAt = isAbsent(options.expiration) ? undefined : toWorkersInt(options.expiration, 'expiration');
  const name = checkKey(key, 'put', 'PUT');
  const bytes = toBytes(value);

  let expiration: number | null = null;
  if (expirationTtl !== undefined) {
    // expirationTtl wins when both are given, as in miniflare's validator.
    if (expirationTtl <= 0) throw kvErrors.expirationTtlNotPositive(expirationTtl);
    if (expirationTtl < KV_MIN_EXPIRATION_TTL) throw kvErrors.expirationTtlTooShort(expirationTtl);
    expiration = nowSeconds + expirationTtl;
  } else if (expirationAt !== undefined) {
    if (expirationAt <= nowSeconds) throw kvErrors.expirationInPast(expirationAt);
    if (expirationAt < nowSeconds + KV_MIN_EXPIRATION_TTL) throw kvErrors.expirationTooSoon(expirationAt);
    expiration = expirationAt;
  }

  const metadata = checkMetadata(options.metadata);
  if (bytes.byteLength > KV_MAX_VALUE_BYTES) throw kvErrors.valueTooLarge(bytes.byteLength);

  // The store gets its own copy, so a caller reusing or transferring its
  // buffer after an asynchronous backend returns cannot change what is kept.
  return { key: name, entry: { value: new Uint8Array(bytes), expiration, metadata } };
}

export function checkKey(key: unknown, operation: string, method: KvMethod): string {
  if (typeof key !== 'string') throw kvErrors.keyNotString(operation);
  if (key === '') throw kvErrors.keyEmpty();
  if (key === '.' || key === '..') throw kvErrors.keyReserved(key);
  // Lone surrogates count as the 3-byte U+FFFD they become in UTF-8, which is
  // also how workerd measures and stores them.
  const bytes = Buffer.byteLength(key, 'utf8');
  if (bytes > KV_MAX_KEY_BYTES) throw kvErrors.keyTooLong(method, bytes);
  return key;
}

/** Converts like a WebIDL/jsg `int`: NaN becomes 0, fractions truncate, 32-bit range enforced. */
function toWorkersInt(value: unknown, name: string): number {
  let number: number;
  if (typeof value === 'number') number = value;
  else if (typeof value === 'string') number = Number(value);
  else throw kvErrors.notANumber(name);
  if (Number.isNaN(number)) return 0;
  if (number < KV_INT_MIN || number > KV_INT_MAX) throw kvErrors.intOutOfRange();
  return number | 0;
}

function toBytes(value: unknown): Uint8Array {
  // util.types checks work across realms, unlike instanceof.
  if (types.isUint8Array(value)) return value;
  if (types.isArrayBuffer(value)) return new Uint8Array(value);
  throw kvErrors.valueType();
}

function checkMetadata(metadata: unknown): string | null {
  if (isAbsent(metadata)) return null;
  if (typeof metadata !== 'string') throw kvErrors.metadataNotJson();
  // Size first, as the KV service does, so an oversized blob is never parsed.
  const bytes = Buffer.byteLength(metadata, 'utf8');
  if (bytes > KV_MAX_METADATA_BYTES) throw kvErrors.metadataTooLarge(bytes);
  let parsed: unknown;
  try {
    parsed = JSON.parse(metadata);
  } catch {
    throw kvErrors.metadataNotJson();
  }
  // Workers treats `metadata: null` as no metadata at all.
  return parsed === null ? null : metadata;
}
