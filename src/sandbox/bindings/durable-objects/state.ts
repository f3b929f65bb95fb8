// ctx in a Durable Object's constructor(ctx, env): its id, its storage, and the input gate made
// explicit (blockConcurrencyWhile).
// @see https://developers.cloudflare.com/durable-objects/api/state/
import { Op } from '../../../shared/boundary.js';
import { hostCall } from '../../bootstrap/host.js';
import { PromisePrototypeThen, PromiseResolve, TypeErrorCtor } from '../../bootstrap/primordials.js';
import { console } from '../../web/console/console.js';
import type { DurableObjectId } from './object-id.js';
import { DurableObjectStorage } from './storage.js';
import { ObjectSockets } from '../../web/websocket/object-sockets.js';
import type { WebSocket } from '../../web/websocket/websocket.js';
import { WebSocketRequestResponsePair } from '../../web/websocket/request-response-pair.js';

const DateCtor = Date;

export class DurableObjectState {
  readonly id: DurableObjectId;
  readonly storage: DurableObjectStorage;
  readonly #handle: number;
  /** Settles when every blockConcurrencyWhile() begun so far has ended: the first event waits for the constructor's. */
  #blocked: Promise<unknown> | null = null;

  constructor(handle: number, id: DurableObjectId, hasAlarmHandler: () => boolean) {
    this.#handle = handle;
    this.id = id;
    this.storage = new DurableObjectStorage(handle, { hasAlarmHandler });
    this.#sockets = new ObjectSockets(handle);
  }

  static blockedOf(state: DurableObjectState): Promise<unknown> | null { return state.#blocked; }

  readonly #sockets: ObjectSockets;
  /** The object whose webSocketMessage/Close/Error handlers get its accepted sockets' events. */
  static bindObject(state: DurableObjectState, object: Record<string, unknown>): void { state.#sockets.bind(object); }
  /** A hibernatable socket's message or close, delivered as an event of the object. */
  static socketEvent(state: DurableObjectState, kind: number, id: number, a: unknown, b: unknown, c: unknown): Promise<unknown> | undefined {
    return state.#sockets.event(kind, id, a, b, c);
  }

  /** The WebSocket Hibernation API: `ws`'s events go to the class's webSocket* handlers, even after the object hibernated. */
  acceptWebSocket(ws: unknown, tags?: unknown): void { this.#sockets.accept(ws, tags); }
  getWebSockets(tag?: unknown): WebSocket[] { return this.#sockets.list(tag); }
  getTags(ws: unknown): string[] { return this.#sockets.tagsOf(ws); }

  /** A message the host answers itself on every hibernatable socket, without waking the object; none to remove it. */
  setWebSocketAutoResponse(pair?: unknown): void {
    if (pair === undefined || pair === null) { hostCall(Op.DoSocketAutoResponse, this.#handle, null, null); return; }
    if (!(pair instanceof WebSocketRequestResponsePair)) {
      throw new TypeErrorCtor("Failed to execute 'setWebSocketAutoResponse': parameter 1 is not of type 'WebSocketRequestResponsePair'.");
    }
    hostCall(Op.DoSocketAutoResponse, this.#handle, pair.request, pair.response);
  }

  getWebSocketAutoResponse(): WebSocketRequestResponsePair | null {
    const pair = hostCall(Op.DoSocketAutoResponseInfo, this.#handle, null) as [string, string] | null;
    return pair === null ? null : new WebSocketRequestResponsePair(pair[0], pair[1]);
  }

  getWebSocketAutoResponseTimestamp(ws: unknown): Date | null {
    const time = this.#sockets.autoResponseTime(ws);
    return time === null ? null : new DateCtor(time);
  }

  /** No other event reaches the object until `callback`'s promise settles. */
  blockConcurrencyWhile<T>(callback: () => T | Promise<T>): Promise<T> {
    if (typeof callback !== 'function') throw new TypeErrorCtor('blockConcurrencyWhile() needs a function.');
    hostCall(Op.DoGate, this.#handle, true);
    const open = () => { hostCall(Op.DoGate, this.#handle, false); };
    let result: Promise<T>;
    try {
      result = PromiseResolve(callback());
    } catch (err) {
      open();
      throw err;
    }
    const done = PromisePrototypeThen(result, (value) => { open(); return value; }, (err: unknown) => { open(); throw err; }) as Promise<T>;
    this.#blocked = PromisePrototypeThen(done, () => undefined, () => undefined);
    return done;
  }

  /** Work that should finish even though nobody waits for it; the object's event keeps it alive. */
  waitUntil(promise: unknown): void {
    PromisePrototypeThen(PromiseResolve(promise), undefined, (err: unknown) => {
      console.error('Uncaught (in promise) from waitUntil():', err);
    });
  }
}
Object.defineProperty(DurableObjectState.prototype, Symbol.toStringTag, { value: 'DurableObjectState', configurable: true });
