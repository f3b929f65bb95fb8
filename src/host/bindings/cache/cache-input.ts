// Checks on everything a Cache API call brings out of an isolate. The sandbox builds these values from
// a Request and a Response, but tenant code may have broken the runtime, so each is re-checked here
// as `unknown`, and a refused call stores nothing.
import { types } from 'node:util';
import { HEADER_SEPARATOR } from '../../../shared/boundary.js';
import { MAX_CACHE_NAME_BYTES } from '../../../shared/cache-limits.js';
import type { HeaderList } from './cache-control.js';

/** Cloudflare's limit on a URL. @see https://developers.cloudflare.com/workers/platform/limits/#request-limits */
export const MAX_CACHE_URL_BYTES = 16 * 1024;
/** A stored response's header block; Cloudflare's response header limit is 128 KB in all. */
export const MAX_CACHE_HEADER_BYTES = 128 * 1024;
/** A request field match() looks at (Range, If-None-Match ...); a longer one is ignored. */
const MAX_CONDITION_BYTES = 16 * 1024;

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// A field value is a ByteString without NUL, CR or LF; the sandbox's Headers refuses the same.
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const REASON = /^[\t\x20-\x7e\x80-\xff]*$/;

export class CacheInputError extends TypeError {}

/** caches.default is '' and caches.open(name) is '/' + name, so no name can reach the default cache. */
export function cacheKeyOf(name: unknown): string {
  if (name === null) return '';
  if (typeof name !== 'string') throw new CacheInputError('Cache name must be a string.');
  if (Buffer.byteLength(name, 'utf8') > MAX_CACHE_NAME_BYTES) throw new CacheInputError('Cache name is too long.');
  return `/${name}`;
}

/** The cache key: an absolute http(s) URL, re-serialized here, without its fragment (as the Service Worker Cache spec matches). */
export function urlKeyOf(url: unknown): string {
  if (typeof url !== 'string' || url.length > MAX_CACHE_URL_BYTES) throw invalidUrl();
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalidUrl();
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw invalidUrl();
  parsed.hash = '';
  const key = parsed.href;
  if (Buffer.byteLength(key, 'utf8') > MAX_CACHE_URL_BYTES) throw invalidUrl();
  return key;
}

function invalidUrl(): CacheInputError {
  return new CacheInputError('Invalid URL. Cache API keys must be fully-qualified, valid URLs.');
}

export function checkStatus(status: unknown): number {
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 200 || status > 599) {
    throw new CacheInputError('Cache can only store a response with a status from 200 to 599.');
  }
  return status;
}

export function checkStatusText(text: unknown): string {
  if (typeof text !== 'string' || text.length > 1024 || !REASON.test(text)) throw new CacheInputError('Invalid statusText.');
  return text;
}

/** The boundary's header encoding, split and checked: names must be tokens, values ByteStrings. */
export function parseHeaderBlock(block: unknown): HeaderList {
  if (typeof block !== 'string') throw new CacheInputError('Invalid headers.');
  if (block.length > MAX_CACHE_HEADER_BYTES) throw new CacheInputError(`The response headers exceed ${MAX_CACHE_HEADER_BYTES} bytes.`);
  const headers: HeaderList = [];
  if (block === '') return headers;
  for (const line of block.split(HEADER_SEPARATOR)) {
    const colon = line.indexOf(':');
    const name = colon <= 0 ? '' : line.slice(0, colon).toLowerCase();
    const value = line.slice(colon + 1);
    if (!TOKEN.test(name) || !FIELD_VALUE.test(value)) throw new CacheInputError('Invalid header in the response.');
    headers.push([name, value]);
  }
  return headers;
}

export function encodeHeaderBlock(headers: HeaderList): string {
  return headers.map(([name, value]) => `${name}:${value}`).join(HEADER_SEPARATOR);
}

/** The response body as bytes: a string is UTF-8 (the sandbox sends string bodies unencoded). */
export function bodyBytes(body: unknown): Uint8Array {
  if (body === null) return new Uint8Array(0);
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  // util.types checks work across realms, unlike instanceof.
  if (types.isArrayBuffer(body)) return new Uint8Array(body);
  throw new CacheInputError('Invalid response body.');
}

/** A request field for match(): its value, or null when absent, not a string or implausibly long. */
export function condition(value: unknown): string | null {
  return typeof value === 'string' && value.length <= MAX_CONDITION_BYTES ? value : null;
}
