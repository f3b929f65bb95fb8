// The Durable Object WebSocket Hibernation API (ctx.acceptWebSocket, getWebSockets, getTags and the
// class's webSocketMessage, webSocketClose and webSocketError handlers). The host owns an accepted
// socket, with its tags and attachment, so it outlives this instance of the object: when the object
// hibernates (leaves memory with its sockets open) the next event builds a new instance, which sees
// the same sockets as new WebSocket objects, made here as they are first named. Each message or close
// is an event of its own that the host delivers through the object's input gate.
// @see https://developers.cloudflare.com/durable-objects/best-practices/websockets/
import { ObjectEventKind, Op } from '../../../shared/boundary.js';
import { hostCall } from '../../bootstrap/host.js';
import {
  ArrayIsArray, ArrayPrototypePush, ErrorCtor, MapCtor, MapPrototypeDelete, MapPrototypeGet, MapPrototypeSet, PromisePrototypeThen,
  PromiseResolve, ReflectApply, TypeErrorCtor,
} from '../../bootstrap/primordials.js';
import { console } from '../console/console.js';
import { toDOMString } from '../dom/webidl.js';
import {
  adoptForObject, checkAcceptable, isWebSocket, objectSocket, objectSocketClosed, objectSocketOf, type WebSocket,
} from './websocket.js';

/** Cloudflare's limits on a socket's tags; the host checks them again. */
const MAX_TAGS = 10;
const MAX_TAG_LENGTH = 256;

type Handler = 'webSocketMessage' | 'webSocketClose' | 'webSocketError';

export class ObjectSockets {
  readonly #handle: number;
  /** The sockets this instance has named so far, by the host's id. */
  readonly #byId = new MapCtor<number, WebSocket>();
  #object: Record<string, unknown> | null = null;

  constructor(handle: number) {
    this.#handle = handle;
  }

  /** The object whose handlers get the events (known once its constructor has returned). */
  bind(object: Record<string, unknown>): void { this.#object = object; }

  accept(socket: unknown, tags: unknown): void {
    if (!isWebSocket(socket)) throw new TypeErrorCtor("Failed to execute 'acceptWebSocket': parameter 1 is not of type 'WebSocket'.");
    const list: string[] = [];
    if (tags !== undefined) {
      if (!ArrayIsArray(tags)) throw new TypeErrorCtor("Failed to execute 'acceptWebSocket': tags must be an array of strings.");
      if (tags.length > MAX_TAGS) throw new TypeErrorCtor(`A WebSocket can have at most ${MAX_TAGS} tags.`);
      for (let i = 0; i < tags.length; i++) {
        const tag = toDOMString(tags[i]);
        if (tag.length > MAX_TAG_LENGTH) throw new TypeErrorCtor(`A WebSocket tag can be at most ${MAX_TAG_LENGTH} characters.`);
        ArrayPrototypePush(list, tag);
      }
    }
    checkAcceptable(socket);
    const id = hostCall(Op.DoSocketAccept, this.#handle, list) as number;
    adoptForObject(socket, this.#handle, id, list);
    MapPrototypeSet(this.#byId, id, socket);
  }

  /** The object's open hibernatable sockets, those with `tag` when one is given. */
  list(tag: unknown): WebSocket[] {
    const flat = hostCall(Op.DoSocketList, this.#handle, tag === undefined ? null : toDOMString(tag)) as unknown[];
    const out: WebSocket[] = [];
    for (let i = 0; i < flat.length; i += 3) ArrayPrototypePush(out, this.#socket(flat[i] as number, flat[i + 1] as string[], flat[i + 2] === true));
    return out;
  }

  tagsOf(socket: unknown): string[] {
    const own = this.#own(socket, 'getTags');
    own.state.tags ??= hostCall(Op.DoSocketTags, this.#handle, own.id) as string[];
    const copy: string[] = [];
    for (let i = 0; i < own.state.tags.length; i++) ArrayPrototypePush(copy, own.state.tags[i]!);
    return copy;
  }

  /** When the host last answered the auto-response on `socket`, in ms since the epoch, or null. */
  autoResponseTime(socket: unknown): number | null {
    return hostCall(Op.DoSocketAutoResponseInfo, this.#handle, this.#own(socket, 'getWebSocketAutoResponseTimestamp').id) as number | null;
  }

  /** One event the host delivered: a message (a: data) or the close (a: code, b: reason, c: wasClean). What the handlers return settles it. */
  event(kind: number, id: number, a: unknown, b: unknown, c: unknown): Promise<unknown> | undefined {
    const socket = this.#socket(id, null, false);
    if (kind === ObjectEventKind.SocketMessage) return this.#call('webSocketMessage', [socket, a]);
    objectSocketClosed(socket);
    MapPrototypeDelete(this.#byId, id);
    const code = typeof a === 'number' ? a : 1006;
    const reason = typeof b === 'string' ? b : '';
    if (c === true) return this.#call('webSocketClose', [socket, code, reason, true]);
    // A connection that ended without a closing handshake is an error of the socket, then its close.
    const error = this.#call('webSocketError', [socket, new ErrorCtor(`WebSocket closed abnormally (${code})`)]);
    return PromisePrototypeThen(PromiseResolve(error), () => this.#call('webSocketClose', [socket, code, reason, false]));
  }

  #socket(id: number, tags: string[] | null, closing: boolean): WebSocket {
    const known = MapPrototypeGet(this.#byId, id);
    if (known !== undefined) return known;
    const socket = objectSocket(this.#handle, id, tags, closing);
    MapPrototypeSet(this.#byId, id, socket);
    return socket;
  }

  #own(socket: unknown, method: string): { id: number; state: { tags: string[] | null } } {
    const own = objectSocketOf(socket);
    if (own === null || own.owner !== this.#handle) throw new TypeErrorCtor(`${method}() was given a WebSocket this Durable Object did not accept.`);
    return own;
  }

  /** Runs one of the object's handlers; what it throws or rejects with is logged, as an uncaught error. */
  #call(name: Handler, args: unknown[]): Promise<unknown> | undefined {
    const object = this.#object;
    const handler = object === null ? undefined : object[name];
    if (typeof handler !== 'function') return undefined;
    try {
      return PromisePrototypeThen(PromiseResolve(ReflectApply(handler, object, args)), undefined, (err: unknown) => console.error(`Uncaught (in promise) from ${name}():`, err));
    } catch (err) {
      console.error(`Uncaught from ${name}():`, err);
      return undefined;
    }
  }
}
