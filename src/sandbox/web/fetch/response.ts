// @see https://fetch.spec.whatwg.org/#response-class
import { BodyHolder, extractBody, type BodySource } from './body.js';
import { Headers } from './headers.js';
import { URL } from '../url/url.js';

const NULL_BODY_STATUS = new Set([101, 204, 205, 304]);
const REDIRECT_STATUS = new Set([301, 302, 303, 307, 308]);
const REASON = /^[\t\x20-\x7e\x80-\xff]*$/;

export interface ResponseInit { status?: number; statusText?: string; headers?: unknown; webSocket?: unknown; encodeBody?: string }

export class Response extends BodyHolder {
  #status: number;
  #statusText: string;
  #headers: Headers;
  #type: 'default' | 'error' = 'default';
  #url = '';
  #redirected = false;

  constructor(body: unknown = null, init: ResponseInit = {}) {
    super();
    if (init !== undefined && init !== null && typeof init !== 'object') {
      throw new TypeError("Failed to construct 'Response': The provided value is not of type 'ResponseInit'.");
    }
    const status = init?.status === undefined ? 200 : Number(init.status);
    // Workers accepts 101 for WebSocket upgrades; otherwise the spec's 200..599.
    if (!Number.isInteger(status) || ((status < 200 || status > 599) && status !== 101)) {
      throw new RangeError(`Responses may only be constructed with status codes in the range 200 to 599, inclusive.`);
    }
    const statusText = init?.statusText === undefined ? '' : String(init.statusText);
    if (!REASON.test(statusText)) throw new TypeError('Invalid statusText');
    this.#status = status;
    this.#statusText = statusText;
    this.#headers = new Headers(init?.headers);
    const { source, contentType } = extractBody(body);
    if (source !== null && NULL_BODY_STATUS.has(status)) {
      throw new TypeError(`Response with null body status (${status}) cannot have a body.`);
    }
    if (contentType !== null && !this.#headers.has('content-type')) this.#headers.set('content-type', contentType);
    this.initBody(source);
  }

  static json(data: unknown, init: ResponseInit = {}): Response {
    const text = JSON.stringify(data);
    if (text === undefined) throw new TypeError('Value is not JSON serializable');
    const headers = new Headers(init?.headers);
    if (!headers.has('content-type')) headers.set('content-type', 'application/json');
    return new Response(text, { ...init, headers });
  }
  static redirect(url: unknown, status = 302): Response {
    const parsed = new URL(String(url));
    if (!REDIRECT_STATUS.has(status)) throw new RangeError(`Invalid status code ${status}`);
    const response = new Response(null, { status, headers: { location: parsed.href } });
    Headers.setGuard(response.#headers, 'immutable');
    return response;
  }
  static error(): Response {
    const response = new Response(null, { status: 200 });
    response.#status = 0;
    response.#type = 'error';
    Headers.setGuard(response.#headers, 'immutable');
    return response;
  }
  /** Internal: a response that came back from a subrequest. */
  static fromHost(status: number, statusText: string, headers: Headers, source: BodySource, url: string, redirected: boolean): Response {
    const response = new Response(null, { status: status === 101 || (status >= 200 && status <= 599) ? status : 200, statusText });
    response.#status = status;
    response.#headers = headers;
    response.#url = url;
    response.#redirected = redirected;
    response.initBody(NULL_BODY_STATUS.has(status) ? null : source);
    return response;
  }

  protected contentType(): string | null { return this.#headers.get('content-type'); }
  get status(): number { return this.#status; }
  get statusText(): string { return this.#statusText; }
  get ok(): boolean { return this.#status >= 200 && this.#status <= 299; }
  get headers(): Headers { return this.#headers; }
  get type(): string { return this.#type; }
  get url(): string { return this.#url; }
  get redirected(): boolean { return this.#redirected; }
  get webSocket(): null { return null; }
  clone(): Response {
    const copy = new Response(null, { status: this.#status === 0 ? 200 : this.#status, statusText: this.#statusText, headers: this.#headers });
    copy.#status = this.#status;
    copy.#type = this.#type;
    copy.#url = this.#url;
    copy.#redirected = this.#redirected;
    copy.initBody(this.cloneSource());
    return copy;
  }
}
Object.defineProperty(Response.prototype, Symbol.toStringTag, { value: 'Response', configurable: true });
