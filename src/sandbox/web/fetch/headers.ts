// @see https://fetch.spec.whatwg.org/#headers-class
import { HEADER_SEPARATOR } from '../../../shared/boundary.js';

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const INVALID_VALUE = /[\0\r\n]/;

export type HeadersGuard = 'none' | 'immutable';

function normalizeValue(value: unknown): string {
  // Strip leading and trailing HTTP whitespace (tab, space, CR, LF).
  return String(value).replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, '');
}
function checkName(name: string): string {
  if (!TOKEN.test(name)) throw new TypeError(`Invalid header name: "${name}"`);
  return name.toLowerCase();
}
function checkValue(value: string): string {
  if (INVALID_VALUE.test(value)) throw new TypeError(`Invalid header value: "${value}"`);
  return value;
}

export class Headers {
  // Lowercased name -> values in insertion order. Set-Cookie values stay separate; others are
  // combined with ", " on read, as the spec's "get" does.
  #map = new Map<string, string[]>();
  #guard: HeadersGuard = 'none';
  #raw: string | null = null;

  constructor(init?: unknown) {
    if (init === undefined || init === null) return;
    if (init instanceof Headers) {
      init.#materialize();
      for (const [k, v] of init.#map) this.#map.set(k, [...v]);
      return;
    }
    if (typeof init !== 'object' && typeof init !== 'function') {
      throw new TypeError("Failed to construct 'Headers': The provided value is not of type '(record<ByteString, ByteString> or sequence<sequence<ByteString>>)'.");
    }
    const iterator = (init as { [Symbol.iterator]?: unknown })[Symbol.iterator];
    if (typeof iterator === 'function') {
      for (const pair of init as Iterable<unknown>) {
        if (typeof pair !== 'object' || pair === null) throw new TypeError("Failed to construct 'Headers': The provided value cannot be converted to a sequence.");
        const entry = [...(pair as Iterable<unknown>)];
        if (entry.length !== 2) throw new TypeError("Failed to construct 'Headers': Invalid value");
        this.append(entry[0], entry[1]);
      }
    } else {
      for (const key of Object.keys(init as object)) this.append(key, (init as Record<string, unknown>)[key]);
    }
  }

  /** Incoming headers arrive as one encoded string and are split only if the tenant reads them. */
  static fromRaw(raw: string, guard: HeadersGuard): Headers {
    const headers = new Headers();
    headers.#raw = raw;
    headers.#guard = guard;
    return headers;
  }
  static setGuard(headers: Headers, guard: HeadersGuard): void { headers.#guard = guard; }

  #materialize(): void {
    const raw = this.#raw;
    if (raw === null) return;
    this.#raw = null;
    if (raw === '') return;
    for (const line of raw.split(HEADER_SEPARATOR)) {
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      const name = line.slice(0, colon).toLowerCase();
      const list = this.#map.get(name);
      if (list === undefined) this.#map.set(name, [line.slice(colon + 1)]);
      else list.push(line.slice(colon + 1));
    }
  }
  #mutable(): void {
    if (this.#guard === 'immutable') throw new TypeError("Can't modify immutable headers.");
    this.#materialize();
  }

  append(name: unknown, value: unknown): void {
    this.#mutable();
    const key = checkName(String(name));
    const v = checkValue(normalizeValue(value));
    const list = this.#map.get(key);
    if (list === undefined) this.#map.set(key, [v]);
    else list.push(v);
  }
  set(name: unknown, value: unknown): void {
    this.#mutable();
    this.#map.set(checkName(String(name)), [checkValue(normalizeValue(value))]);
  }
  delete(name: unknown): void {
    this.#mutable();
    this.#map.delete(checkName(String(name)));
  }
  get(name: unknown): string | null {
    this.#materialize();
    const list = this.#map.get(checkName(String(name)));
    return list === undefined ? null : list.join(', ');
  }
  has(name: unknown): boolean {
    this.#materialize();
    return this.#map.has(checkName(String(name)));
  }
  getSetCookie(): string[] {
    this.#materialize();
    return [...(this.#map.get('set-cookie') ?? [])];
  }
  getAll(name: unknown): string[] {
    // Workers keeps this non-standard method for Set-Cookie only.
    const key = checkName(String(name));
    if (key !== 'set-cookie') throw new TypeError('getAll() can only be used with the header name "Set-Cookie".');
    return this.getSetCookie();
  }
  /** Sorted, combined, with each Set-Cookie on its own: the spec's "sort and combine". */
  *entries(): IterableIterator<[string, string]> {
    this.#materialize();
    const names = [...this.#map.keys()].sort();
    for (const name of names) {
      const list = this.#map.get(name);
      if (list === undefined) continue;
      if (name === 'set-cookie') for (const v of list) yield [name, v];
      else yield [name, list.join(', ')];
    }
  }
  *keys(): IterableIterator<string> { for (const [k] of this.entries()) yield k; }
  *values(): IterableIterator<string> { for (const [, v] of this.entries()) yield v; }
  forEach(callback: (value: string, key: string, parent: Headers) => void, thisArg?: unknown): void {
    for (const [k, v] of this.entries()) callback.call(thisArg, v, k, this);
  }
  [Symbol.iterator](): IterableIterator<[string, string]> { return this.entries(); }

  /** The boundary encoding; every Set-Cookie leaves as its own line. */
  static encode(headers: Headers): string {
    if (headers.#raw !== null) return headers.#raw;
    let out = '';
    for (const [name, list] of headers.#map) {
      if (name === 'set-cookie') for (const v of list) out += (out === '' ? '' : HEADER_SEPARATOR) + name + ':' + v;
      else out += (out === '' ? '' : HEADER_SEPARATOR) + name + ':' + list.join(', ');
    }
    return out;
  }
}
Object.defineProperty(Headers.prototype, Symbol.toStringTag, { value: 'Headers', configurable: true });
