// @see https://fetch.spec.whatwg.org/#headers-class
// Every response leaves through set/has/encode, so those paths use captured built-ins only: a tenant
// that replaces Array.prototype.push or Map.prototype.get still gets its responses out.
import { HEADER_SEPARATOR } from '../../../shared/boundary.js';
import {
  ArrayPrototypeJoin, ArrayPrototypePush, ArrayPrototypeSlice, ArrayPrototypeSort, MapCtor, MapPrototypeDelete, MapPrototypeForEach,
  MapPrototypeGet, MapPrototypeHas, MapPrototypeSet, ReflectApply, ReflectGetOwnPropertyDescriptor, ReflectOwnKeys, RegExpPrototypeExec, StringPrototypeCharCodeAt,
  ObjectGetPrototypeOf, ObjectSetPrototypeOf, StringPrototypeIndexOf, StringPrototypeSlice, StringPrototypeToLowerCase,
  TypeErrorCtor,
} from '../../bootstrap/primordials.js';

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// NUL, CR and LF are not allowed in a header value; anything past U+00FF is not a ByteString.
const INVALID_VALUE = /[\0\r\n\u0100-\uffff]/;

export type HeadersGuard = 'none' | 'immutable';

const isHttpWhitespace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;

/** @see https://fetch.spec.whatwg.org/#concept-header-value-normalize */
function normalizeValue(value: unknown): string {
  const s = typeof value === 'string' ? value : `${value as string}`;
  let start = 0, end = s.length;
  while (start < end && isHttpWhitespace(StringPrototypeCharCodeAt(s, start))) start++;
  while (end > start && isHttpWhitespace(StringPrototypeCharCodeAt(s, end - 1))) end--;
  return start === 0 && end === s.length ? s : StringPrototypeSlice(s, start, end);
}
function checkName(name: unknown): string {
  const s = typeof name === 'string' ? name : `${name as string}`;
  if (RegExpPrototypeExec(TOKEN, s) === null) throw new TypeErrorCtor(`Invalid header name: "${s}"`);
  return StringPrototypeToLowerCase(s);
}
function checkValue(value: string): string {
  if (RegExpPrototypeExec(INVALID_VALUE, value) !== null) throw new TypeErrorCtor(`Invalid header value: "${value}"`);
  return value;
}

export class Headers {
  // Lowercased name -> values in insertion order. Set-Cookie values stay separate; others are
  // combined with ", " on read, as the spec's "get" does.
  #map = new MapCtor<string, string[]>();
  #guard: HeadersGuard = 'none';
  #raw: string | null = null;
  #sorted: [string, string][] | null = null;

  constructor(init?: unknown) {
    if (init === undefined || init === null) return;
    if (init instanceof Headers) {
      init.#materialize();
      MapPrototypeForEach(init.#map, (list, name) => { MapPrototypeSet(this.#map, name, ArrayPrototypeSlice(list)); });
      return;
    }
    if (typeof init !== 'object' && typeof init !== 'function') {
      throw new TypeError("Failed to construct 'Headers': The provided value is not of type '(record<ByteString, ByteString> or sequence<sequence<ByteString>>)'.");
    }
    const iterator = (init as { [Symbol.iterator]?: unknown })[Symbol.iterator];
    if (iterator !== undefined && iterator !== null) {
      if (typeof iterator !== 'function') throw new TypeError("Failed to construct 'Headers': The object must have a callable @@iterator property.");
      for (const pair of init as Iterable<unknown>) {
        if (typeof pair !== 'object' || pair === null) throw new TypeError("Failed to construct 'Headers': The provided value cannot be converted to a sequence.");
        const entry = [...(pair as Iterable<unknown>)];
        if (entry.length !== 2) throw new TypeError("Failed to construct 'Headers': Invalid value");
        this.append(entry[0], entry[1]);
      }
    } else {
      // record<ByteString, ByteString>: every own enumerable key, symbols included (they fail conversion).
      const keys = ReflectOwnKeys(init as object);
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i]!;
        const desc = ReflectGetOwnPropertyDescriptor(init as object, key);
        if (desc === undefined || !desc.enumerable) continue;
        if (typeof key === 'symbol') throw new TypeError("Failed to construct 'Headers': Cannot convert a Symbol to a ByteString.");
        this.append(key, (init as Record<string, unknown>)[key]);
      }
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
  /** A copy with the same guard, as Request and Response clone() make. */
  static cloneOf(headers: Headers): Headers {
    const copy = new Headers(headers);
    copy.#guard = headers.#guard;
    return copy;
  }

  #materialize(): void {
    const raw = this.#raw;
    if (raw === null) return;
    this.#raw = null;
    let start = 0;
    while (start < raw.length) {
      let end = StringPrototypeIndexOf(raw, HEADER_SEPARATOR, start);
      if (end === -1) end = raw.length;
      const colon = StringPrototypeIndexOf(raw, ':', start);
      if (colon > start && colon < end) {
        const name = StringPrototypeToLowerCase(StringPrototypeSlice(raw, start, colon));
        const value = StringPrototypeSlice(raw, colon + 1, end);
        const list = MapPrototypeGet(this.#map, name);
        if (list === undefined) MapPrototypeSet(this.#map, name, [value]);
        else ArrayPrototypePush(list, value);
      }
      start = end + 1;
    }
  }
  #mutable(): void {
    if (this.#guard === 'immutable') throw new TypeErrorCtor("Can't modify immutable headers.");
    this.#materialize();
    this.#sorted = null;
  }

  append(name: unknown, value: unknown): void {
    const key = checkName(name);
    const v = checkValue(normalizeValue(value));
    this.#mutable();
    const list = MapPrototypeGet(this.#map, key);
    if (list === undefined) MapPrototypeSet(this.#map, key, [v]);
    else ArrayPrototypePush(list, v);
  }
  set(name: unknown, value: unknown): void {
    const key = checkName(name);
    const v = checkValue(normalizeValue(value));
    this.#mutable();
    MapPrototypeSet(this.#map, key, [v]);
  }
  delete(name: unknown): void {
    const key = checkName(name);
    this.#mutable();
    MapPrototypeDelete(this.#map, key);
  }
  get(name: unknown): string | null {
    const key = checkName(name);
    this.#materialize();
    const list = MapPrototypeGet(this.#map, key);
    return list === undefined ? null : ArrayPrototypeJoin(list, ', ');
  }
  has(name: unknown): boolean {
    const key = checkName(name);
    this.#materialize();
    return MapPrototypeHas(this.#map, key);
  }
  getSetCookie(): string[] {
    this.#materialize();
    const list = MapPrototypeGet(this.#map, 'set-cookie');
    return list === undefined ? [] : ArrayPrototypeSlice(list);
  }
  getAll(name: unknown): string[] {
    // Workers keeps this non-standard method for Set-Cookie only.
    const key = checkName(name);
    if (key !== 'set-cookie') throw new TypeError('getAll() can only be used with the header name "Set-Cookie".');
    return this.getSetCookie();
  }
  /** Sorted, combined, with each Set-Cookie on its own: the spec's "sort and combine", cached until a change. */
  static sortAndCombine(headers: Headers): [string, string][] {
    headers.#materialize();
    if (headers.#sorted !== null) return headers.#sorted;
    const names: string[] = [];
    MapPrototypeForEach(headers.#map, (_list, name) => { ArrayPrototypePush(names, name); });
    ArrayPrototypeSort(names, (a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const out: [string, string][] = [];
    for (let i = 0; i < names.length; i++) {
      const name = names[i]!;
      const list = MapPrototypeGet(headers.#map, name)!;
      if (name === 'set-cookie') for (let j = 0; j < list.length; j++) ArrayPrototypePush(out, [name, list[j]!]);
      else ArrayPrototypePush(out, [name, ArrayPrototypeJoin(list, ', ')]);
    }
    return (headers.#sorted = out);
  }
  entries(): HeadersIterator { return new HeadersIterator(this, 'entries'); }
  keys(): HeadersIterator { return new HeadersIterator(this, 'keys'); }
  values(): HeadersIterator { return new HeadersIterator(this, 'values'); }
  forEach(callback: (value: string, key: string, parent: Headers) => void, thisArg?: unknown): void {
    if (typeof callback !== 'function') throw new TypeError("Failed to execute 'forEach' on 'Headers': parameter 1 is not of type 'Function'.");
    // The list is taken again at every step, so changes made by the callback are seen, as with iterators.
    for (let i = 0; ; i++) {
      const pairs = Headers.sortAndCombine(this);
      if (i >= pairs.length) return;
      ReflectApply(callback, thisArg, [pairs[i]![1], pairs[i]![0], this]);
    }
  }
  [Symbol.iterator](): HeadersIterator { return this.entries(); }

  /** The boundary encoding; every Set-Cookie leaves as its own line. */
  static encode(headers: Headers): string {
    if (headers.#raw !== null) return headers.#raw;
    let out = '';
    MapPrototypeForEach(headers.#map, (list, name) => {
      if (name === 'set-cookie') {
        for (let i = 0; i < list.length; i++) out += (out === '' ? '' : HEADER_SEPARATOR) + name + ':' + list[i]!;
      } else {
        out += (out === '' ? '' : HEADER_SEPARATOR) + name + ':' + ArrayPrototypeJoin(list, ', ');
      }
    });
    return out;
  }
}
Object.defineProperty(Headers.prototype, Symbol.toStringTag, { value: 'Headers', configurable: true });

/**
 * @see https://webidl.spec.whatwg.org/#es-iterator-prototype-object
 * Each step reads the current sorted list at the iterator's index, so headers added or removed
 * while iterating are seen the way the spec describes.
 */
class HeadersIterator {
  readonly #headers: Headers;
  readonly #kind: 'entries' | 'keys' | 'values';
  #index = 0;
  constructor(headers: Headers, kind: 'entries' | 'keys' | 'values') { this.#headers = headers; this.#kind = kind; }
  next(): IteratorResult<unknown> {
    const pairs = Headers.sortAndCombine(this.#headers);
    if (this.#index >= pairs.length) return { value: undefined, done: true };
    const pair = pairs[this.#index++]!;
    const name = pair[0], value = pair[1];
    return { value: this.#kind === 'keys' ? name : this.#kind === 'values' ? value : [name, value], done: false };
  }
  [Symbol.iterator](): this { return this; }
}
ObjectSetPrototypeOf(HeadersIterator.prototype, ObjectGetPrototypeOf(ObjectGetPrototypeOf([][Symbol.iterator]())));
Object.defineProperty(HeadersIterator.prototype, Symbol.toStringTag, { value: 'Headers Iterator', configurable: true });
