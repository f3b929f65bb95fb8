// @see https://url.spec.whatwg.org/#interface-urlsearchparams
// The application/x-www-form-urlencoded parser and serializer run on the host (Node's, which follows
// the URL Standard); the list of pairs lives here so iteration and edits cost no crossing.
import { Op } from '../../../shared/boundary.js';
import { hostCall } from '../../bootstrap/host.js';

type SearchOwner = (serialized: string) => void;

const owners = new WeakMap<URLSearchParams, SearchOwner>();
let replaceAll: (params: URLSearchParams, query: string) => void;

/** Links params to the URL whose query they are; `owner` receives every change. */
export function attachSearchParams(params: URLSearchParams, owner: SearchOwner): void { owners.set(params, owner); }
/** The URL's query changed under its params: the list is parsed again from it. */
export function resetSearchParams(params: URLSearchParams | null, search: string): void {
  if (params !== null) replaceAll(params, search.startsWith('?') ? search.slice(1) : search);
}

function toUSV(value: unknown): string { return String(value).toWellFormed(); }

export class URLSearchParams {
  static { replaceAll = (params, query) => params.#parseInto(query); }
  #list: [string, string][] = [];

  constructor(init: unknown = '') {
    if (init instanceof URLSearchParams) {
      this.#list = init.#list.map(([k, v]) => [k, v]);
    } else if (typeof init === 'object' && init !== null || typeof init === 'function') {
      const iterable = (init as { [Symbol.iterator]?: unknown })[Symbol.iterator];
      if (typeof iterable === 'function') {
        for (const pair of init as Iterable<unknown>) {
          const entry = [...(pair as Iterable<unknown>)];
          if (entry.length !== 2) throw new TypeError("Failed to construct 'URLSearchParams': Sequence initializer must only contain pair elements");
          this.#list.push([toUSV(entry[0]), toUSV(entry[1])]);
        }
      } else {
        for (const key of Reflect.ownKeys(init as object)) {
          if (typeof key !== 'string') continue;
          const desc = Reflect.getOwnPropertyDescriptor(init as object, key);
          if (desc?.enumerable) this.#list.push([toUSV(key), toUSV((init as Record<string, unknown>)[key])]);
        }
      }
    } else {
      let text = toUSV(init);
      if (text.startsWith('?')) text = text.slice(1);
      this.#parseInto(text);
    }
  }

  #parseInto(text: string): void {
    this.#list = [];
    if (text === '') return;
    const flat = hostCall(Op.UrlSearchParse, text) as string[];
    for (let i = 0; i + 1 < flat.length; i += 2) this.#list.push([flat[i]!, flat[i + 1]!]);
  }
  #update(): void {
    const owner = owners.get(this);
    if (owner !== undefined) owner(this.toString());
  }

  get size(): number { return this.#list.length; }
  append(name: unknown, value: unknown): void { this.#list.push([toUSV(name), toUSV(value)]); this.#update(); }
  delete(name: unknown, value?: unknown): void {
    const n = toUSV(name);
    const v = value === undefined ? undefined : toUSV(value);
    this.#list = this.#list.filter(([k, val]) => !(k === n && (v === undefined || val === v)));
    this.#update();
  }
  get(name: unknown): string | null {
    const n = toUSV(name);
    for (const [k, v] of this.#list) if (k === n) return v;
    return null;
  }
  getAll(name: unknown): string[] {
    const n = toUSV(name);
    return this.#list.filter(([k]) => k === n).map(([, v]) => v);
  }
  has(name: unknown, value?: unknown): boolean {
    const n = toUSV(name);
    const v = value === undefined ? undefined : toUSV(value);
    return this.#list.some(([k, val]) => k === n && (v === undefined || val === v));
  }
  set(name: unknown, value: unknown): void {
    const n = toUSV(name), v = toUSV(value);
    const index = this.#list.findIndex(([k]) => k === n);
    if (index === -1) this.#list.push([n, v]);
    else {
      this.#list[index] = [n, v];
      this.#list = this.#list.filter(([k], i) => i <= index || k !== n);
    }
    this.#update();
  }
  sort(): void {
    // Stable sort by code units, as the spec requires.
    this.#list = this.#list.map((e, i) => [e, i] as const).sort((a, b) => (a[0][0] < b[0][0] ? -1 : a[0][0] > b[0][0] ? 1 : a[1] - b[1])).map(([e]) => e);
    this.#update();
  }
  forEach(callback: (value: string, key: string, parent: URLSearchParams) => void, thisArg?: unknown): void {
    if (typeof callback !== 'function') throw new TypeError("Failed to execute 'forEach' on 'URLSearchParams': parameter 1 is not of type 'Function'.");
    for (let i = 0; i < this.#list.length; i++) {
      const [k, v] = this.#list[i]!;
      callback.call(thisArg, v, k, this);
    }
  }
  *entries(): IterableIterator<[string, string]> { for (let i = 0; i < this.#list.length; i++) yield [...this.#list[i]!]; }
  *keys(): IterableIterator<string> { for (const [k] of this.entries()) yield k; }
  *values(): IterableIterator<string> { for (const [, v] of this.entries()) yield v; }
  [Symbol.iterator](): IterableIterator<[string, string]> { return this.entries(); }
  toString(): string {
    if (this.#list.length === 0) return '';
    return hostCall(Op.UrlSearchSerialize, this.#list.flat()) as string;
  }
}
Object.defineProperty(URLSearchParams.prototype, Symbol.toStringTag, { value: 'URLSearchParams', configurable: true });
