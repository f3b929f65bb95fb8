// The Cache API as Workers exposes it: `caches.default` and `caches.open(name)`, each a Cache with
// match, put and delete. A Cache holds only its name; the host scopes it to the worker's tenant, keeps
// the entries and decides what may be stored. The checks that throw in the tenant's code are made
// here, in workerd's order and with its messages.
// @see https://developers.cloudflare.com/workers/runtime-apis/cache/
// @see https://w3c.github.io/ServiceWorker/#cache-interface
import { Op } from '../../../shared/boundary.js';
import { MAX_CACHE_ENTRY_BYTES, MAX_CACHE_NAME_BYTES } from '../../../shared/cache-limits.js';
import { hostAsync } from '../../bootstrap/host.js';
import { StringPrototypeCharCodeAt, StringPrototypeIndexOf, StringPrototypeSlice, TypeErrorCtor } from '../../bootstrap/primordials.js';
import { exactBuffer } from '../../web/encoding/bytes.js';
import { BodyHolder } from '../../web/fetch/body.js';
import { Headers } from '../../web/fetch/headers.js';
import { Request } from '../../web/fetch/request.js';
import { Response } from '../../web/fetch/response.js';
import { readBytesUpTo } from '../../web/streams/streams.js';

type MatchReply = [number, string, string, ArrayBuffer | null] | null;

const CONSTRUCT = Symbol('construct');

function notImplemented(method: string, iface: string): TypeError {
  return new TypeErrorCtor(`Failed to execute '${method}' on '${iface}': the method is not implemented.`);
}

/** Request::coerce: a Request is used as it is (its body untouched); anything else is a URL. */
function coerce(input: unknown): Request {
  return input instanceof Request ? input : new Request(String(input));
}

/** The key: the request URL without its fragment (the Service Worker Cache spec's "exclude fragment"). */
function keyOf(request: Request): string {
  const url = request.url;
  const hash = StringPrototypeIndexOf(url, '#');
  return hash === -1 ? url : StringPrototypeSlice(url, 0, hash);
}

/**
 * Workers' CacheQueryOptions: `ignoreMethod` only. ignoreSearch, ignoreVary and cacheName are
 * "won't implement" there, and passing one throws.
 */
function ignoresMethod(options: unknown, method: string): boolean {
  if (options === undefined || options === null) return false;
  if (typeof options !== 'object') throw new TypeErrorCtor(`Failed to execute '${method}' on 'Cache': parameter 2 is not of type 'CacheQueryOptions'.`);
  const { ignoreMethod, ignoreSearch, ignoreVary, cacheName } = options as Record<string, unknown>;
  if (ignoreSearch !== undefined) throw new TypeErrorCtor("Unsupported cache query option 'ignoreSearch'. Remove the query string from the key at put() time instead.");
  if (ignoreVary !== undefined) throw new TypeErrorCtor("Unsupported cache query option 'ignoreVary'. The cache ignores Vary (except 'Vary: *', which put() refuses).");
  if (cacheName !== undefined) throw new TypeErrorCtor("Unsupported cache query option 'cacheName'.");
  return ignoreMethod === undefined ? false : !!ignoreMethod;
}

/**
 * A response body for the host, read now so the response is disturbed when put() returns; false when
 * it is too large to keep. Past the entry limit the stream is canceled and nothing is stored, as
 * Cloudflare's cache answers 413 to an object too large and put() resolves all the same.
 */
async function bodyForHost(response: Response): Promise<string | ArrayBuffer | null | false> {
  if (!BodyHolder.hasStreamBody(response)) return BodyHolder.takeForHost(response);
  const bytes = await readBytesUpTo(BodyHolder.takeStreamForHost(response), MAX_CACHE_ENTRY_BYTES);
  return bytes === null ? false : exactBuffer(bytes);
}

function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = StringPrototypeCharCodeAt(text, i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const next = StringPrototypeCharCodeAt(text, i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) { bytes += 4; i++; } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

export class Cache {
  readonly #name: string | null;

  constructor(token?: unknown, name: string | null = null) {
    if (token !== CONSTRUCT) throw new TypeErrorCtor('Illegal constructor');
    this.#name = name;
  }

  async match(request: unknown, options?: unknown): Promise<Response | undefined> {
    if (arguments.length === 0) throw new TypeErrorCtor("Failed to execute 'match' on 'Cache': 1 argument required, but only 0 present.");
    const ignoreMethod = ignoresMethod(options, 'match');
    const req = coerce(request);
    // Only GET is ever looked up (workerd answers undefined otherwise, HEAD included).
    if (!ignoreMethod && req.method !== 'GET') return undefined;
    const headers = req.headers;
    const reply = (await hostAsync(Op.CacheMatch, this.#name, keyOf(req), headers.get('range'), headers.get('if-none-match'),
      headers.get('if-modified-since'), headers.get('if-range'))) as MatchReply;
    if (reply === null) return undefined;
    const [status, statusText, raw, body] = reply;
    return Response.fromHost(status, statusText, Headers.fromRaw(raw, 'immutable'), body === null ? null : new Uint8Array(body), '', false);
  }

  async put(request: unknown, response: unknown): Promise<void> {
    if (arguments.length < 2) throw new TypeErrorCtor(`Failed to execute 'put' on 'Cache': 2 arguments required, but only ${arguments.length} present.`);
    if (!(response instanceof Response)) throw new TypeErrorCtor("Failed to execute 'put' on 'Cache': parameter 2 is not of type 'Response'.");
    if (response.type === 'error') throw new TypeErrorCtor('Cache is unable to store an error response');
    const req = coerce(request);
    if (req.method !== 'GET') throw new TypeErrorCtor('Cannot cache response to non-GET request.');
    if (response.status === 206) throw new TypeErrorCtor('Cannot cache response to a range request (206 Partial Content).');
    const vary = response.headers.get('vary');
    if (vary !== null && StringPrototypeIndexOf(vary, '*') !== -1) throw new TypeErrorCtor("Cannot cache response with 'Vary: *' header.");
    // A 304 is dropped without a word: caching one would answer later plain requests with it.
    if (response.status === 304) return;
    const key = keyOf(req);
    const body = await bodyForHost(response);
    if (body === false) return;
    await hostAsync(Op.CachePut, this.#name, key, response.status, response.statusText, Headers.encode(response.headers), body);
  }

  async delete(request: unknown, options?: unknown): Promise<boolean> {
    if (arguments.length === 0) throw new TypeErrorCtor("Failed to execute 'delete' on 'Cache': 1 argument required, but only 0 present.");
    const ignoreMethod = ignoresMethod(options, 'delete');
    const req = coerce(request);
    if (!ignoreMethod && req.method !== 'GET') return false;
    return (await hostAsync(Op.CacheDelete, this.#name, keyOf(req))) as boolean;
  }

  add(): never { throw notImplemented('add', 'Cache'); }
  addAll(): never { throw notImplemented('addAll', 'Cache'); }
  matchAll(): never { throw notImplemented('matchAll', 'Cache'); }
  keys(): never { throw notImplemented('keys', 'Cache'); }
}
Object.defineProperty(Cache.prototype, Symbol.toStringTag, { value: 'Cache', configurable: true });

export class CacheStorage {
  readonly #default: Cache;

  constructor(token?: unknown) {
    if (token !== CONSTRUCT) throw new TypeErrorCtor('Illegal constructor');
    this.#default = new Cache(CONSTRUCT, null);
  }

  get default(): Cache { return this.#default; }

  async open(cacheName: unknown): Promise<Cache> {
    if (arguments.length === 0) throw new TypeErrorCtor("Failed to execute 'open' on 'CacheStorage': 1 argument required, but only 0 present.");
    const name = String(cacheName);
    if (utf8Length(name) > MAX_CACHE_NAME_BYTES) throw new TypeErrorCtor('Cache name is too long.');
    return new Cache(CONSTRUCT, name);
  }

  match(): never { throw notImplemented('match', 'CacheStorage'); }
  has(): never { throw notImplemented('has', 'CacheStorage'); }
  delete(): never { throw notImplemented('delete', 'CacheStorage'); }
  keys(): never { throw notImplemented('keys', 'CacheStorage'); }
}
Object.defineProperty(CacheStorage.prototype, Symbol.toStringTag, { value: 'CacheStorage', configurable: true });

/** The global `caches`: one per isolate, as Workers has one per isolate. */
export function createCaches(): CacheStorage {
  return new CacheStorage(CONSTRUCT);
}
