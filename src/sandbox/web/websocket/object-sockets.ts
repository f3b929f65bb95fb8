// The Durable Object WebSocket API (ctx.acceptWebSocket and the class's webSocketMessage,
// webSocketClose and webSocketError handlers) over the sockets of this isolate. The object keeps a list
// of its accepted sockets with their tags; each socket's events go to the object's handlers instead of
// event listeners. Islet keeps the object in memory while it has open sockets: the handlers and
// attachments behave as documented, but the object is not evicted between messages (no hibernation).
// @see https://developers.cloudflare.com/durable-objects/best-practices/websockets/
import {
  ArrayIsArray, ArrayPrototypePush, ReflectApply, PromisePrototypeThen, PromiseResolve, TypeErrorCtor,
} from '../../bootstrap/primordials.js';
import { console } from '../console/console.js';
import { addListener } from '../dom/event-target.js';
import type { Event } from '../dom/event.js';
import { toDOMString } from '../dom/webidl.js';
import { isWebSocket, type WebSocket } from './websocket.js';

/** Cloudflare's limits on a socket's tags. */
const MAX_TAGS = 10;
const MAX_TAG_LENGTH = 256;
/** Cloudflare's limit on the sockets one object accepts. */
const MAX_SOCKETS = 32_768;

interface Accepted { socket: WebSocket; tags: string[]; open: boolean }

export class ObjectSockets {
  readonly #accepted: Accepted[] = [];
  #object: Record<string, unknown> | null = null;

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
    this.#prune();
    if (this.#accepted.length >= MAX_SOCKETS) throw new TypeErrorCtor(`A Durable Object can accept at most ${MAX_SOCKETS} WebSockets.`);
    for (let i = 0; i < this.#accepted.length; i++) {
      if (this.#accepted[i]!.socket === socket) throw new TypeErrorCtor('This WebSocket was already accepted.');
    }
    // accept() throws for a socket handed out in a response or accepted already, as Cloudflare does.
    socket.accept();
    const entry: Accepted = { socket, tags: list, open: true };
    ArrayPrototypePush(this.#accepted, entry);
    const flags = { capture: false, passive: false, once: false, signal: null };
    addListener(socket, 'message', (event: Event) => this.#call('webSocketMessage', [socket, (event as unknown as { data: unknown }).data]), flags);
    addListener(socket, 'error', (event: Event) => this.#call('webSocketError', [socket, (event as unknown as { error?: unknown; message?: unknown }).message]), flags);
    addListener(socket, 'close', (event: Event) => {
      entry.open = false;
      const close = event as unknown as { code: number; reason: string; wasClean: boolean };
      this.#call('webSocketClose', [socket, close.code, close.reason, close.wasClean]);
    }, flags);
  }

  /** The object's open accepted sockets, those with `tag` when one is given. */
  list(tag: unknown): WebSocket[] {
    this.#prune();
    const wanted = tag === undefined ? null : toDOMString(tag);
    const out: WebSocket[] = [];
    for (let i = 0; i < this.#accepted.length; i++) {
      const entry = this.#accepted[i]!;
      if (wanted !== null && !includes(entry.tags, wanted)) continue;
      ArrayPrototypePush(out, entry.socket);
    }
    return out;
  }

  tagsOf(socket: unknown): string[] {
    for (let i = 0; i < this.#accepted.length; i++) {
      const entry = this.#accepted[i]!;
      if (entry.socket === socket) {
        const copy: string[] = [];
        for (let j = 0; j < entry.tags.length; j++) ArrayPrototypePush(copy, entry.tags[j]!);
        return copy;
      }
    }
    throw new TypeErrorCtor('getTags() was given a WebSocket this Durable Object did not accept.');
  }

  #prune(): void {
    let kept = 0;
    for (let i = 0; i < this.#accepted.length; i++) {
      const entry = this.#accepted[i]!;
      if (entry.open) this.#accepted[kept++] = entry;
    }
    this.#accepted.length = kept;
  }

  /** Runs one of the object's handlers; what it throws or rejects with is logged, as an uncaught error. */
  #call(name: 'webSocketMessage' | 'webSocketClose' | 'webSocketError', args: unknown[]): void {
    const object = this.#object;
    const handler = object === null ? undefined : object[name];
    if (typeof handler !== 'function') return;
    try {
      PromisePrototypeThen(PromiseResolve(ReflectApply(handler, object, args)), undefined, (err: unknown) => console.error(`Uncaught (in promise) from ${name}():`, err));
    } catch (err) {
      console.error(`Uncaught from ${name}():`, err);
    }
  }
}

function includes(list: string[], value: string): boolean {
  for (let i = 0; i < list.length; i++) if (list[i] === value) return true;
  return false;
}
