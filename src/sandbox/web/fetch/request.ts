// @see https://fetch.spec.whatwg.org/#request-class
import { BodyHolder, extractBody, type BodySource } from './body.js';
import { Headers } from './headers.js';
import { URL } from '../url/url.js';
import { RegExpPrototypeExec, SetPrototypeHas, TypeErrorCtor } from '../../bootstrap/primordials.js';
import { createAbortSignal, createDependentSignal, isAbortSignal, type AbortSignal } from '../dom/abort.js';

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const NORMALIZED = new Set(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'PATCH']);
const FORBIDDEN = new Set(['CONNECT', 'TRACE', 'TRACK']);
const REDIRECT_MODES = new Set(['follow', 'manual', 'error']);

export interface RequestInit {
  method?: string; headers?: unknown; body?: unknown; redirect?: string; cf?: unknown; signal?: unknown;
}

function normalizeMethod(method: unknown): string {
  const m = String(method);
  if (RegExpPrototypeExec(TOKEN, m) === null) throw new TypeErrorCtor(`'${m}' is not a valid HTTP method.`);
  const upper = m.toUpperCase();
  if (SetPrototypeHas(FORBIDDEN, upper)) throw new TypeErrorCtor(`'${m}' HTTP method is unsupported.`);
  // The spec's six methods are uppercased, and PATCH too, as Workers does (the upper_case_all_http_methods
  // compatibility flag); any other method keeps its case.
  return SetPrototypeHas(NORMALIZED, upper) ? upper : m;
}

// Set while the runtime builds a request itself (incoming, clone): the fields are filled in directly,
// skipping validation and a URL parse the host has already done.
let internalConstruction = false;

export class Request extends BodyHolder {
  #method = 'GET';
  #url = '';
  #headers!: Headers;
  #redirect = 'follow';
  #cf: unknown = undefined;
  // The signal this request's signal follows. The request's own is made when first read: most
  // requests never have theirs looked at, and one made later follows the source just the same. A copy
  // follows the original's source while the original has no signal of its own yet, which aborts the
  // same way (nothing aborts an incoming request's signal yet, so its copies follow nothing).
  #signalSource: AbortSignal | null = null;
  #signal: AbortSignal | null = null;

  constructor(input: unknown, init: RequestInit = {}) {
    super();
    if (internalConstruction) return;
    if (arguments.length === 0) throw new TypeError("Failed to construct 'Request': 1 argument required, but only 0 present.");
    if (init !== undefined && init !== null && typeof init !== 'object') {
      throw new TypeError("Failed to construct 'Request': The provided value is not of type 'RequestInit'.");
    }
    const from = input instanceof Request ? input : null;
    this.#url = from !== null ? from.#url : new URL(String(input)).href;
    this.#method = init?.method !== undefined ? normalizeMethod(init.method) : from !== null ? from.#method : 'GET';
    this.#headers = new Headers(init?.headers !== undefined ? init.headers : from !== null ? from.#headers : undefined);
    const redirect = String(init?.redirect ?? (from !== null ? from.#redirect : 'follow'));
    if (!SetPrototypeHas(REDIRECT_MODES, redirect)) throw new TypeErrorCtor(`Invalid redirect value: ${redirect}`);
    this.#redirect = redirect;
    this.#cf = init?.cf ?? (from !== null ? from.#cf : undefined);
    const signal = init?.signal;
    if (signal !== undefined && signal !== null && !isAbortSignal(signal)) {
      throw new TypeErrorCtor("Failed to construct 'Request': member signal is not of type AbortSignal.");
    }
    this.#signalSource = signal !== undefined ? signal as AbortSignal | null : from !== null ? from.#signalToFollow() : null;

    // A body given in init wins; otherwise the input request's body carries over, even with body: null.
    const hasInitBody = init?.body !== undefined && init.body !== null;
    const inherits = !hasInitBody && from !== null && from.hasBody();
    if ((hasInitBody || inherits) && (this.#method === 'GET' || this.#method === 'HEAD')) {
      throw new TypeError('Request with a GET or HEAD method cannot have a body.');
    }
    if (hasInitBody) {
      const { source, contentType } = extractBody(init.body);
      if (contentType !== null && !this.#headers.has('content-type')) this.#headers.set('content-type', contentType);
      this.initBody(source);
    } else if (inherits) {
      // The original is left used: its body now belongs to this one.
      this.initBody(from.transferSource());
    } else {
      this.initBody(null);
    }
  }

  static #bare(): Request {
    internalConstruction = true;
    try { return new Request(''); } finally { internalConstruction = false; }
  }
  /** Internal: the incoming request, from what the host already parsed and validated. */
  static incoming(method: string, url: string, headers: Headers, body: BodySource, cf: unknown): Request {
    const request = Request.#bare();
    request.#method = method;
    request.#url = url;
    request.#headers = headers;
    request.#cf = cf;
    request.initBody(body);
    return request;
  }

  protected contentType(): string | null { return this.#headers.get('content-type'); }
  get method(): string { return this.#method; }
  get url(): string { return this.#url; }
  get headers(): Headers { return this.#headers; }
  get redirect(): string { return this.#redirect; }
  get cf(): unknown { return this.#cf; }
  /** @see https://fetch.spec.whatwg.org/#dom-request-signal */
  get signal(): AbortSignal { return this.#ownSignal(); }
  #ownSignal(): AbortSignal {
    if (this.#signal === null) {
      this.#signal = this.#signalSource === null ? createAbortSignal() : createDependentSignal([this.#signalSource]);
    }
    return this.#signal;
  }
  #signalToFollow(): AbortSignal | null { return this.#signal ?? this.#signalSource; }
  get fetcher(): null { return null; }
  get integrity(): string { return ''; }
  get keepalive(): boolean { return false; }
  clone(): Request {
    const copy = Request.#bare();
    copy.#method = this.#method;
    copy.#url = this.#url;
    copy.#headers = Headers.cloneOf(this.#headers);
    copy.#redirect = this.#redirect;
    copy.#cf = this.#cf;
    copy.#signalSource = this.#signalToFollow();
    copy.initBody(this.cloneSource());
    return copy;
  }
}
Object.defineProperty(Request.prototype, Symbol.toStringTag, { value: 'Request', configurable: true });
