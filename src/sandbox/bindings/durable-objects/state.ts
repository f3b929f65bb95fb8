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
  }

  static blockedOf(state: DurableObjectState): Promise<unknown> | null { return state.#blocked; }

  readonly #sockets = new ObjectSockets();
  /** The object whose webSocketMessage/Close/Error handlers get its accepted sockets' events. */
  static bindObject(state: DurableObjectState, object: Record<string, unknown>): void { state.#sockets.bind(object); }

  /** The WebSocket API of Durable Objects: `ws`'s events go to the class's webSocket* handlers. */
  acceptWebSocket(ws: unknown, tags?: unknown): void { this.#sockets.accept(ws, tags); }
  getWebSockets(tag?: unknown): WebSocket[] { return this.#sockets.list(tag); }
  getTags(ws: unknown): string[] { return this.#sockets.tagsOf(ws); }

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
