// Cloudflare's limits on the Storage API's key-value calls, checked on the host: the values come out
// of the isolate. Values are serialized here with V8's serializer, the structured clone Cloudflare
// stores too, so the size checked is the size stored.
// @see https://developers.cloudflare.com/durable-objects/platform/limits/
import { deserialize, serialize } from 'node:v8';
import { StorageError, type StorageListOptions } from '../../storage/durable-objects/object-storage.js';

export const MAX_KEY_BYTES = 2048;
export const MAX_VALUE_BYTES = 128 * 1024;
export const MAX_KEYS = 128;

export function checkKey(key: unknown): string {
  if (typeof key !== 'string') throw new StorageError('TypeError', 'Keys must be strings.');
  const size = Buffer.byteLength(key, 'utf8');
  if (size > MAX_KEY_BYTES) throw new StorageError('RangeError', `Keys cannot be larger than ${MAX_KEY_BYTES} bytes. A key of size ${size} was provided.`);
  return key;
}

export function checkKeys(keys: unknown): string[] {
  if (!Array.isArray(keys)) throw new StorageError('TypeError', 'Keys must be an array of strings.');
  if (keys.length > MAX_KEYS) throw new StorageError('RangeError', `Maximum number of keys is ${MAX_KEYS}. ${keys.length} keys were provided.`);
  return keys.map(checkKey);
}

/** The stored form of a value: its V8 serialization, at most 128 KiB. */
export function encodeValue(value: unknown): Uint8Array {
  if (value === undefined) throw new StorageError('TypeError', 'Cannot store undefined as a value; use delete() instead.');
  let bytes: Buffer;
  try {
    bytes = serialize(value);
  } catch (err) {
    throw new StorageError('Error', `The value could not be serialized: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (bytes.byteLength > MAX_VALUE_BYTES) {
    throw new StorageError('RangeError', `Values cannot be larger than ${MAX_VALUE_BYTES} bytes. A value of size ${bytes.byteLength} was provided.`);
  }
  return bytes;
}

export function decodeValue(bytes: Uint8Array): unknown {
  return deserialize(bytes);
}

/** list()'s options as the isolate sent them: [start, startAfter, end, prefix, reverse, limit]. */
export function checkListOptions(args: unknown[]): StorageListOptions {
  const [start, startAfter, end, prefix, reverse, limit] = args;
  const options: StorageListOptions = {};
  const text = (value: unknown, name: string): string | undefined => {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string') throw new StorageError('TypeError', `list() option ${name} must be a string.`);
    return checkKey(value);
  };
  const s = text(start, 'start');
  const sa = text(startAfter, 'startAfter');
  if (s !== undefined && sa !== undefined) throw new StorageError('TypeError', 'list() cannot be called with both start and startAfter values.');
  if (s !== undefined) options.start = s;
  if (sa !== undefined) options.startAfter = sa;
  const e = text(end, 'end');
  if (e !== undefined) options.end = e;
  const p = text(prefix, 'prefix');
  if (p !== undefined) options.prefix = p;
  if (reverse === true) options.reverse = true;
  if (limit !== undefined && limit !== null) {
    if (typeof limit !== 'number' || !Number.isInteger(limit) || limit <= 0) throw new StorageError('TypeError', 'List limit must be positive.');
    options.limit = limit;
  }
  return options;
}
