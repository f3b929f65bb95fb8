// A request and the response the runtime sends for it on a Durable Object's hibernatable WebSockets
// (ctx.setWebSocketAutoResponse), without waking the object: a keep-alive ping, typically.
// @see https://developers.cloudflare.com/durable-objects/api/websockets/
import { ObjectDefineProperty, SymbolToStringTag, TypeErrorCtor } from '../../bootstrap/primordials.js';
import { toDOMString } from '../dom/webidl.js';

export class WebSocketRequestResponsePair {
  readonly #request: string;
  readonly #response: string;

  constructor(request: unknown, response: unknown) {
    if (arguments.length < 2) throw new TypeErrorCtor("Failed to construct 'WebSocketRequestResponsePair': 2 arguments required.");
    this.#request = toDOMString(request);
    this.#response = toDOMString(response);
  }

  get request(): string { return this.#request; }
  get response(): string { return this.#response; }
}
ObjectDefineProperty(WebSocketRequestResponsePair.prototype, SymbolToStringTag, { value: 'WebSocketRequestResponsePair', configurable: true });
