// The KVNamespace a tenant sees. It holds only a binding index, a capability the host resolves to the
// namespace it granted this worker; the namespace id itself never enters the isolate.
// @see https://developers.cloudflare.com/kv/api/
import { Op } from '../../../shared/boundary.js';
import { hostAsync } from '../../bootstrap/host.js';
import { toBytes } from '../../web/encoding/bytes.js';
import { isReadableStream, readAllBytes, streamOfBytes } from '../../web/streams/streams.js';

const VALUE_TYPES = new Set(['text', 'json', 'arrayBuffer', 'stream']);
// One byte past the 25 MiB limit is enough for the host to report the documented error.
const MAX_VALUE_BYTES = 25 * 1024 * 1024;

type GetReply = [string | ArrayBuffer, string | null] | null;

function readOptions(options: unknown): { type: string; cacheTtl: unknown } {
  if (options === undefined || options === null) return { type: 'text', cacheTtl: undefined };
  if (typeof options === 'string') {
    if (!VALUE_TYPES.has(options)) throw new TypeError(`Unknown response type. Possible types are "text", "arrayBuffer", "json", and "stream".`);
    return { type: options, cacheTtl: undefined };
  }
  if (typeof options !== 'object') throw new TypeError('KV get() options must be a string or an object.');
  const { type = 'text', cacheTtl } = options as { type?: unknown; cacheTtl?: unknown };
  if (typeof type !== 'string' || !VALUE_TYPES.has(type)) {
    throw new TypeError(`Unknown response type. Possible types are "text", "arrayBuffer", "json", and "stream".`);
  }
  return { type, cacheTtl };
}

function decode(value: string | ArrayBuffer, type: string): unknown {
  switch (type) {
    case 'json': return JSON.parse(value as string);
    case 'arrayBuffer': return value;
    case 'stream': return streamOfBytes(new Uint8Array(value as ArrayBuffer));
    default: return value;
  }
}

async function valueForHost(value: unknown): Promise<string | ArrayBuffer> {
  if (typeof value === 'string') return value;
  if (value instanceof ArrayBuffer) return value;
  if (ArrayBuffer.isView(value)) return toBytes(value, 'put').slice().buffer as ArrayBuffer;
  if (isReadableStream(value)) return (await readAllBytes(value, MAX_VALUE_BYTES + 1).catch(() => { throw new Error(`KV PUT failed: 413 Value length exceeds limit of ${MAX_VALUE_BYTES}.`); })).slice().buffer as ArrayBuffer;
  throw new TypeError('KV put() accepts only strings, ArrayBuffers, ArrayBufferViews, and ReadableStreams as values.');
}

export class KVNamespace {
  readonly #index: number;
  constructor(index: number) { this.#index = index; }

  async get(key: unknown, options?: unknown): Promise<unknown> {
    const { type, cacheTtl } = readOptions(options);
    const reply = (await hostAsync(Op.KvGet, this.#index, String(key), type === 'text' || type === 'json', cacheTtl)) as GetReply;
    return reply === null ? null : decode(reply[0], type);
  }
  async getWithMetadata(key: unknown, options?: unknown): Promise<{ value: unknown; metadata: unknown; cacheStatus: null }> {
    const { type, cacheTtl } = readOptions(options);
    const reply = (await hostAsync(Op.KvGet, this.#index, String(key), type === 'text' || type === 'json', cacheTtl)) as GetReply;
    if (reply === null) return { value: null, metadata: null, cacheStatus: null };
    return { value: decode(reply[0], type), metadata: reply[1] === null ? null : JSON.parse(reply[1]), cacheStatus: null };
  }
  async put(key: unknown, value: unknown, options?: unknown): Promise<void> {
    if (arguments.length < 2) throw new TypeError("Failed to execute 'put' on 'KvNamespace': parameter 2 is not of type 'ReadableStream or ArrayBuffer or ArrayBufferView or string'.");
    const opts = (options ?? {}) as { expiration?: unknown; expirationTtl?: unknown; metadata?: unknown };
    if (typeof opts !== 'object') throw new TypeError('KV put() options must be an object.');
    let metadata: string | undefined;
    if (opts.metadata !== undefined && opts.metadata !== null) {
      metadata = JSON.stringify(opts.metadata);
      if (metadata === undefined) throw new TypeError('KV put() metadata must be serializable to JSON.');
    }
    const body = await valueForHost(value);
    await hostAsync(Op.KvPut, this.#index, String(key), body, opts.expiration, opts.expirationTtl, metadata);
  }
  async delete(key: unknown): Promise<void> {
    await hostAsync(Op.KvDelete, this.#index, String(key));
  }
  async list(options?: unknown): Promise<unknown> {
    const opts = (options ?? {}) as { prefix?: unknown; limit?: unknown; cursor?: unknown };
    if (typeof opts !== 'object') throw new TypeError('KV list() options must be an object.');
    const text = (await hostAsync(Op.KvList, this.#index, opts.prefix ?? undefined, opts.limit ?? undefined, opts.cursor ?? undefined)) as string;
    const result = JSON.parse(text) as Record<string, unknown>;
    result.cacheStatus = null;
    return result;
  }
}
Object.defineProperty(KVNamespace.prototype, Symbol.toStringTag, { value: 'KvNamespace', configurable: true });
