// @see https://fetch.spec.whatwg.org/#response-class
import { BodyHolder, extractBody, type BodySource } from './body.js';
import { Headers } from './headers.js';
import { URL } from '../url/url.js';
import { isWebSocket, type WebSocket } from '../websocket/websocket.js';
import {
  JSONStringify, MathFloor, NumberIsFinite, RangeErrorCtor, RegExpPrototypeExec, SetPrototypeHas, TypeErrorCtor,
} from '../../bootstrap/primordials.js';

const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304]);
const REDIRECT_STATUS = new Set([301, 302, 303, 307, 308]);
const REASON = /^[\t\x20-\x7e\x80-\xff]*$/;

/** WebIDL's unsigned short conversion: truncate, then wrap modulo 2^16. */
function toUnsignedShort(value: unknown): number {
  if (typeof value === 'number' && value >= 0 && value <= 0xffff && MathFloor(value) === value) return value;
  const n = Number(value);
  if (!NumberIsFinite(n) || n === 0) return 0;
  const wrapped = (n < 0 ? -MathFloor(-n) : MathFloor(n)) % 0x10000;
  return wrapped < 0 ? wrapped + 0x10000 : wrapped;
}

export interface ResponseInit { status?: number; statusText?: string; headers?: unknown; webSocket?: unknown; encodeBody?: string }

export class Response extends BodyHolder {
  #status: number;
  #statusText: string;
  #headers: Headers;
  #type: 'default' | 'error' = 'default';
  #url = '';
  #redirected = false;
  #webSocket: WebSocket | null = null;

  constructor(body: unknown = null, init: ResponseInit = {}) {
    super();
    if (init !== undefined && init !== null && typeof init !== 'object') {
      throw new TypeError("Failed to construct 'Response': The provided value is not of type 'ResponseInit'.");
    }
    const status = init?.status === undefined ? 200 : toUnsignedShort(init.status);
    // Workers accepts 101 for a WebSocket upgrade, which needs its webSocket; otherwise the spec's 200..599.
    if ((status < 200 || status > 599) && !(status === 101 && init?.webSocket !== undefined && init.webSocket !== null)) {
      throw new RangeErrorCtor(`Responses may only be constructed with status codes in the range 200 to 599, inclusive.`);
    }
    const webSocket = init?.webSocket;
    if (webSocket !== undefined && webSocket !== null) {
      if (!isWebSocket(webSocket)) throw new TypeErrorCtor("Failed to construct 'Response': member webSocket is not of type 'WebSocket'.");
      this.#webSocket = webSocket;
    }
    const statusText = init?.statusText === undefined ? '' : `${init.statusText}`;
    if (statusText !== '' && RegExpPrototypeExec(REASON, statusText) === null) throw new TypeErrorCtor('Invalid statusText');
    this.#status = status;
    this.#statusText = statusText;
    this.#headers = new Headers(init?.headers);
    const { source, contentType } = extractBody(body);
    if (source !== null && SetPrototypeHas(NULL_BODY_STATUS, status)) {
      throw new TypeErrorCtor(`Response with null body status (${status}) cannot have a body.`);
    }
    if (contentType !== null && !this.#headers.has('content-type')) this.#headers.set('content-type', contentType);
    this.initBody(source);
  }

  static json(data: unknown, init: ResponseInit = {}): Response {
    const text = JSONStringify(data);
    if (text === undefined) throw new TypeErrorCtor('Value is not JSON serializable');
    const headers = new Headers(init?.headers);
    if (!headers.has('content-type')) headers.set('content-type', 'application/json');
    return new Response(text, { ...init, headers });
  }
  static redirect(url: unknown, status: unknown = 302): Response {
    const parsed = new URL(String(url));
    const code = toUnsignedShort(status);
    if (!SetPrototypeHas(REDIRECT_STATUS, code)) throw new RangeError(`Invalid status code ${code}`);
    const response = new Response(null, { status: code, headers: { location: parsed.href } });
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
    const response = new Response(null);
    response.#status = status;
    response.#statusText = statusText;
    response.#headers = headers;
    response.#url = url;
    response.#redirected = redirected;
    response.initBody(SetPrototypeHas(NULL_BODY_STATUS, status) ? null : source);
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
  get webSocket(): WebSocket | null { return this.#webSocket; }
  /** Internal: the socket a 101 response hands to its client, read past any getter a tenant installs. */
  static webSocketOf(response: Response): WebSocket | null { return response.#webSocket; }
  /** Internal: a Response made by this constructor, not an object that only inherits from its prototype (or a Proxy of one). */
  static isResponse(value: unknown): value is Response { return typeof value === 'object' && value !== null && #webSocket in value; }
  clone(): Response {
    const copy = new Response(null);
    copy.#status = this.#status;
    copy.#statusText = this.#statusText;
    copy.#headers = Headers.cloneOf(this.#headers);
    copy.#type = this.#type;
    copy.#url = this.#url;
    copy.#redirected = this.#redirected;
    copy.initBody(this.cloneSource());
    return copy;
  }
}
Object.defineProperty(Response.prototype, Symbol.toStringTag, { value: 'Response', configurable: true });
