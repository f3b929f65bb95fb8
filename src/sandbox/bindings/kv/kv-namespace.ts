// The KVNamespace a tenant sees. It holds only a binding index, a capability the host resolves to the
// namespace it granted this worker; the namespace id itself never enters the isolate.
// @see https://developers.cloudflare.com/kv/api/
import { Op } from '../../../shared/boundary.js';
import { hostAsync } from '../../bootstrap/host.js';
import {
  ArrayBufferCtor, ArrayBufferIsView, ArrayIsArray, JSONParse, JSONStringify, SetPrototypeHas, TypeErrorCtor,
  TypedArrayPrototypeSet, Uint8ArrayCtor,
} from '../../bootstrap/primordials.js';
import { toBytes } from '../../web/encoding/bytes.js';
import { isReadableStream, streamOfBytes } from '../../web/streams/streams.js';
import { getBulk } from './kv-bulk.js';
import { readValueStream } from './kv-value.js';

const VALUE_TYPES = new Set(['text', 'json', 'arrayBuffer', 'stream']);
const UNKNOWN_TYPE = 'Unknown response type. Possible types are "text", "arrayBuffer", "json", and "stream".';

type GetReply = [string | ArrayBuffer, string | null] | null;

/** get()'s second argument: a type name, or `{ type, cacheTtl }`. The type is checked later. */
function readOptions(options: unknown): { type: string; cacheTtl: unknown } {
  if (options === undefined || options === null) return { type: 'text', cacheTtl: undefined };
  if (typeof options === 'string') return { type: options, cacheTtl: undefined };
  if (typeof options !== 'object') throw new TypeErrorCtor('KV get() options must be a string or an object.');
  const { type = 'text', cacheTtl } = options as { type?: unknown; cacheTtl?: unknown };
  return { type: String(type), cacheTtl };
}

function decode(value: string | ArrayBuffer, type: string): unknown {
  switch (type) {
    case 'json': return JSONParse(value as string);
    case 'arrayBuffer': return value;
    case 'stream': return streamOfBytes(toBytes(value, 'get'));
    default: return value;
  }
}

/** The view's bytes in a buffer of their own: the caller may keep writing to its buffer. */
function copyOf(bytes: Uint8Array): ArrayBuffer {
  const copy = new Uint8ArrayCtor(bytes.byteLength);
  TypedArrayPrototypeSet(copy, bytes);
  return copy.buffer as ArrayBuffer;
}

async function valueForHost(value: unknown): Promise<string | ArrayBuffer> {
  if (typeof value === 'string') return value;
  if (value instanceof ArrayBufferCtor) return value;
  if (ArrayBufferIsView(value)) return copyOf(toBytes(value, 'put'));
  if (isReadableStream(value)) return readValueStream(value);
  throw new TypeErrorCtor('KV put() accepts only strings, ArrayBuffers, ArrayBufferViews, and ReadableStreams as values.');
}

export class KVNamespace {
  readonly #index: number;
  constructor(index: number) { this.#index = index; }

  /** One key's stored value and metadata JSON, or null when it is absent. */
  async #read(key: string, type: string, cacheTtl: unknown): Promise<GetReply> {
    return (await hostAsync(Op.KvGet, this.#index, key, type === 'text' || type === 'json', cacheTtl)) as GetReply;
  }

  async get(key: unknown, options?: unknown): Promise<unknown> {
    const { type, cacheTtl } = readOptions(options);
    if (ArrayIsArray(key)) return getBulk((name) => this.#read(name, 'text', cacheTtl), key, type, false);
    const reply = await this.#read(String(key), type, cacheTtl);
    // As on Workers, a missing key is null before the type is even looked at.
    if (reply === null) return null;
    if (!SetPrototypeHas(VALUE_TYPES, type)) throw new TypeErrorCtor(UNKNOWN_TYPE);
    return decode(reply[0], type);
  }

  async getWithMetadata(key: unknown, options?: unknown): Promise<unknown> {
    const { type, cacheTtl } = readOptions(options);
    if (ArrayIsArray(key)) return getBulk((name) => this.#read(name, 'text', cacheTtl), key, type, true);
    const reply = await this.#read(String(key), type, cacheTtl);
    if (reply === null) return { value: null, metadata: null, cacheStatus: null };
    if (!SetPrototypeHas(VALUE_TYPES, type)) throw new TypeErrorCtor(UNKNOWN_TYPE);
    return { value: decode(reply[0], type), metadata: reply[1] === null ? null : JSONParse(reply[1]), cacheStatus: null };
  }

  async put(key: unknown, value: unknown, options?: unknown): Promise<void> {
    if (arguments.length < 2) throw new TypeErrorCtor("Failed to execute 'put' on 'KvNamespace': parameter 2 is not of type 'ReadableStream or ArrayBuffer or ArrayBufferView or string'.");
    const opts = (options ?? {}) as { expiration?: unknown; expirationTtl?: unknown; metadata?: unknown };
    if (typeof opts !== 'object') throw new TypeErrorCtor('KV put() options must be an object.');
    let metadata: string | undefined;
    if (opts.metadata !== undefined && opts.metadata !== null) {
      metadata = JSONStringify(opts.metadata);
      if (metadata === undefined) throw new TypeErrorCtor('KV put() metadata must be serializable to JSON.');
    }
    const body = await valueForHost(value);
    await hostAsync(Op.KvPut, this.#index, String(key), body, opts.expiration, opts.expirationTtl, metadata);
  }

  async delete(key: unknown): Promise<void> {
    await hostAsync(Op.KvDelete, this.#index, String(key));
  }

  async list(options?: unknown): Promise<unknown> {
    const opts = (options ?? {}) as { prefix?: unknown; limit?: unknown; cursor?: unknown };
    if (typeof opts !== 'object') throw new TypeErrorCtor('KV list() options must be an object.');
    const text = (await hostAsync(Op.KvList, this.#index, opts.prefix ?? undefined, opts.limit ?? undefined, opts.cursor ?? undefined)) as string;
    const result = JSONParse(text) as Record<string, unknown>;
    result.cacheStatus = null;
    return result;
  }
}
Object.defineProperty(KVNamespace.prototype, Symbol.toStringTag, { value: 'KvNamespace', configurable: true });
