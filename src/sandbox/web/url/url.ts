// @see https://url.spec.whatwg.org/#url-class
// Parsing runs on the host, in Node's WHATWG URL parser (ada, which passes the URL Web Platform
// Tests): one synchronous crossing per parse, and no parser or IDNA tables in every isolate.
import { Op, UrlPart } from '../../../shared/boundary.js';
import { hostCall } from '../../bootstrap/host.js';
import { URLSearchParams, attachSearchParams, resetSearchParams } from './url-search-params.js';

type Parts = string[];

function parse(input: string, base: string | undefined): Parts | null {
  return hostCall(Op.UrlParse, input, base) as Parts | null;
}

export class URL {
  #parts: Parts;
  #searchParams: URLSearchParams | null = null;

  constructor(url: unknown, base?: unknown) {
    if (arguments.length === 0) throw new TypeError("Failed to construct 'URL': 1 argument required, but only 0 present.");
    const input = String(url);
    const parts = parse(input, base === undefined ? undefined : String(base));
    if (parts === null) throw new TypeError(`Invalid URL: ${input}`);
    this.#parts = parts;
  }

  static canParse(url: unknown, base?: unknown): boolean {
    return parse(String(url), base === undefined ? undefined : String(base)) !== null;
  }
  static parse(url: unknown, base?: unknown): URL | null {
    try { return new URL(url, base); } catch { return null; }
  }

  #part(index: number): string { return this.#parts[index] ?? ''; }
  /** Applies a setter by re-parsing on the host: the spec's setter algorithms live there too. */
  #set(name: string, value: unknown): void {
    const parts = hostCall(Op.UrlParse, this.#parts[UrlPart.Href], undefined, name, String(value)) as Parts | null;
    if (parts !== null) {
      this.#parts = parts;
      if (name === 'search' || name === 'href') resetSearchParams(this.#searchParams, this.#part(UrlPart.Search));
    }
  }
  /**
   * The URLSearchParams update steps. The params serialize to nothing the search setter would
   * re-encode, and the setter also turns an empty query into no query, as the steps do.
   */
  #updateSearch(serialized: string): void {
    const parts = hostCall(Op.UrlParse, this.#parts[UrlPart.Href], undefined, 'search', serialized) as Parts | null;
    if (parts !== null) this.#parts = parts;
  }

  get href(): string { return this.#part(UrlPart.Href); }
  set href(v: string) {
    const parts = parse(String(v), undefined);
    if (parts === null) throw new TypeError(`Invalid URL: ${String(v)}`);
    this.#parts = parts;
    resetSearchParams(this.#searchParams, this.#part(UrlPart.Search));
  }
  get origin(): string { return this.#part(UrlPart.Origin); }
  get protocol(): string { return this.#part(UrlPart.Protocol); }
  set protocol(v: string) { this.#set('protocol', v); }
  get username(): string { return this.#part(UrlPart.Username); }
  set username(v: string) { this.#set('username', v); }
  get password(): string { return this.#part(UrlPart.Password); }
  set password(v: string) { this.#set('password', v); }
  get host(): string { return this.#part(UrlPart.Host); }
  set host(v: string) { this.#set('host', v); }
  get hostname(): string { return this.#part(UrlPart.Hostname); }
  set hostname(v: string) { this.#set('hostname', v); }
  get port(): string { return this.#part(UrlPart.Port); }
  set port(v: string) { this.#set('port', v); }
  get pathname(): string { return this.#part(UrlPart.Pathname); }
  set pathname(v: string) { this.#set('pathname', v); }
  get search(): string { return this.#part(UrlPart.Search); }
  set search(v: string) { this.#set('search', v); }
  get hash(): string { return this.#part(UrlPart.Hash); }
  set hash(v: string) { this.#set('hash', v); }
  get searchParams(): URLSearchParams {
    if (this.#searchParams === null) {
      this.#searchParams = new URLSearchParams(this.#part(UrlPart.Search));
      attachSearchParams(this.#searchParams, (serialized) => this.#updateSearch(serialized));
    }
    return this.#searchParams;
  }
  toString(): string { return this.href; }
  toJSON(): string { return this.href; }
}
Object.defineProperty(URL.prototype, Symbol.toStringTag, { value: 'URL', configurable: true });
