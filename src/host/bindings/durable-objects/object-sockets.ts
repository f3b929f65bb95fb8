// The hibernatable WebSockets of one Durable Object (ctx.acceptWebSocket). The host owns them, not an
// isolate and not a request: they stay connected while the object's instance leaves memory, and keep
// what the object needs to take them up again (tags, the attachment's bytes, the auto-response). A
// client's message or close becomes an event of the object, queued behind its other events (the input
// gate); what the object sends on them waits for its writes to be durable (the output gate).
// @see https://developers.cloudflare.com/durable-objects/best-practices/websockets/
import { deserialize, serialize } from 'node:v8';
import type { RequestContext } from '../../isolates/request-context.js';
import {
  CloseCode, MAX_SEND_BUFFER_BYTES, byteLengthOf, fitReason,
  type ClientPeer, type SocketData, type SocketPeer, type WorkerSocket,
} from '../../isolates/sockets/socket-types.js';

/** Cloudflare's limits on hibernatable sockets. */
export const MAX_ATTACHMENT_BYTES = 2048;
export const MAX_TAGS = 10;
export const MAX_TAG_LENGTH = 256;
export const MAX_SOCKETS_PER_OBJECT = 32_768;
export const MAX_AUTO_RESPONSE_LENGTH = 2048;
/** Client bytes queued for the object beyond which the client is not read until the object catches up. */
const QUEUED_BYTES_PAUSE = 4 * 1024 * 1024;

/** What leaves the object once its writes are durable, or fails when they are lost. */
export interface HeldOutput { send: () => void; fail: (message: string) => void }

/** What the table needs of its object. */
export interface SocketOwner {
  /** A client's message or close, for the object as an event of its own; `done` once it has run. */
  socketEvent(socket: ObjectSocket, kind: 'message' | 'close', args: unknown[], done: () => void): void;
  /** Output of the object: sent once every write made so far is durable (the output gate). */
  release(out: HeldOutput): void;
}

/**
 * accepted: in the object, its client end not yet returned in a 101; offered: in a 101 (or a stub's
 * response) on its way to the front door; open: connected; closing: the object closed it and waits for
 * the client's answer; closed: over (its close event may still be queued).
 */
type Phase = 'accepted' | 'offered' | 'open' | 'closing' | 'closed';

export class ObjectSocket implements WorkerSocket {
  readonly id: number;
  readonly tags: readonly string[];
  /** The trace of the event that accepted it, for its events' logs. */
  readonly traceId: string;
  readonly #table: ObjectSocketTable;
  phase: Phase = 'accepted';
  /** The event that accepted it, until a 101 hands it out: if that event ends first, the socket goes. */
  acceptedBy: RequestContext | null;
  attachment: Uint8Array | null = null;
  /** When the host last answered its auto-response on this socket (ms since the epoch). */
  autoResponseAt: number | null = null;
  #client: ClientPeer | null = null;
  /** What the object sent before the client was connected, and its size. */
  #early: SocketData[] = [];
  #earlyBytes = 0;
  #earlyClose: { code: number; reason: string } | null = null;
  /** Client bytes queued as events and not yet run. */
  #queued = 0;
  #paused = false;

  constructor(id: number, tags: readonly string[], ctx: RequestContext, table: ObjectSocketTable) {
    this.id = id;
    this.tags = tags;
    this.traceId = ctx.traceId;
    this.acceptedBy = ctx;
    this.#table = table;
  }

  connect(client: ClientPeer): SocketPeer {
    this.#client = client;
    if (this.phase === 'closed') {
      client.close(CloseCode.InternalError, 'The Durable Object stopped before the connection opened.', true);
    } else {
      for (const data of this.#early) client.message(data);
      this.#early = [];
      this.#earlyBytes = 0;
      if (this.#earlyClose !== null) client.close(this.#earlyClose.code, this.#earlyClose.reason, true);
      if (this.phase === 'offered' || this.phase === 'accepted') this.phase = 'open';
    }
    return {
      message: (data, written) => this.#fromClient(data, written),
      close: (code, reason, clean) => this.#clientClosed(code, reason, clean),
    };
  }

  /** The object's message, once its writes are durable. Dropped on a socket that is closing or closed. */
  send(data: SocketData): void {
    if (this.phase === 'closing' || this.phase === 'closed') return;
    this.#table.owner.release({ send: () => this.#transmit(data), fail: (message) => this.#lost(message) });
  }

  /** The object starts the closing handshake; its earlier messages go first. */
  close(code: number, reason: string): void {
    if (this.phase === 'closing' || this.phase === 'closed') return;
    this.phase = 'closing';
    this.#table.owner.release({
      send: () => {
        if (this.#client === null) this.#earlyClose = { code, reason };
        else this.#client.close(code, reason, true);
      },
      fail: (message) => this.#lost(message),
    });
  }

  /** serializeAttachment(): throws (for the object to see) when the value is too large. */
  attach(value: unknown): void {
    const bytes = serialize(value);
    if (bytes.byteLength > MAX_ATTACHMENT_BYTES) {
      throw new RangeError(`The serialized WebSocket attachment of ${bytes.byteLength} bytes exceeds the limit of ${MAX_ATTACHMENT_BYTES} bytes.`);
    }
    this.attachment = bytes;
  }

  attached(): unknown {
    return this.attachment === null ? null : deserialize(this.attachment);
  }

  /** Every side closes with `code` and the object hears nothing more (shutdown). */
  shut(code: number, reason: string): void {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    this.#early = [];
    if (this.#client === null) this.#earlyClose = { code, reason };
    else this.#client.close(code, reason, true);
  }

  #transmit(data: SocketData): void {
    if (this.phase === 'closed') return;
    const size = byteLengthOf(data);
    const client = this.#client;
    if (client === null) {
      this.#earlyBytes += size;
      if (this.#earlyBytes > MAX_SEND_BUFFER_BYTES) { this.#overflow(); return; }
      this.#early.push(data);
      return;
    }
    if (client.buffered + size > MAX_SEND_BUFFER_BYTES) { this.#overflow(); return; }
    client.message(data);
  }

  /** `written` once the object has run the message's event: the client's side is read only as fast as that. */
  #fromClient(data: SocketData, written: (() => void) | undefined): void {
    if (this.phase === 'closed') { written?.(); return; }
    const auto = this.#table.autoResponse;
    if (auto !== null && typeof data === 'string' && data === auto.request) {
      // Answered here without waking the object; still behind anything the object has not yet released.
      this.autoResponseAt = Date.now();
      this.#table.owner.release({ send: () => this.#transmit(auto.response), fail: () => {} });
      written?.();
      return;
    }
    // isolated-vm copies an ArrayBuffer whole: hand it exactly the message's bytes.
    const payload = typeof data === 'string' ? data
      : data.byteOffset === 0 && data.byteLength === data.buffer.byteLength ? data.buffer : data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength);
    const size = byteLengthOf(data);
    this.#queued += size;
    if (!this.#paused && this.#queued > QUEUED_BYTES_PAUSE && this.#client !== null) {
      this.#paused = true;
      this.#client.pause();
    }
    this.#table.owner.socketEvent(this, 'message', [this.id, payload], () => {
      written?.();
      this.#queued -= size;
      if (this.#paused && this.#queued <= QUEUED_BYTES_PAUSE / 2) {
        this.#paused = false;
        this.#client?.resume();
      }
    });
  }

  #clientClosed(code: number, reason: string, clean: boolean): void {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    this.#early = [];
    // The record stays until the close event has run: webSocketClose() may still read the attachment.
    this.#table.owner.socketEvent(this, 'close', [this.id, code, fitReason(reason), clean], () => this.#table.remove(this));
  }

  /** The client does not read what the object sends: both sides are told, with 1011. */
  #overflow(): void {
    const reason = 'The WebSocket send buffer is full: the client is not reading.';
    this.#client?.close(CloseCode.InternalError, reason, true);
    this.#clientClosed(CloseCode.InternalError, reason, false);
  }

  /** Output the object held was lost with its unconfirmed writes: the client must not go on as if it had it. */
  #lost(message: string): void {
    if (this.phase === 'closed') return;
    const reason = fitReason(message);
    if (this.#client === null) this.#earlyClose = { code: CloseCode.InternalError, reason };
    else this.#client.close(CloseCode.InternalError, reason, true);
    this.#clientClosed(CloseCode.InternalError, reason, false);
  }
}

export class ObjectSocketTable {
  readonly owner: SocketOwner;
  readonly #sockets = new Map<number, ObjectSocket>();
  /** Those still in the object, not yet in a 101: looked at as each event ends, so kept apart from the rest. */
  readonly #accepted = new Set<ObjectSocket>();
  #nextId = 1;
  autoResponse: { request: string; response: string } | null = null;

  constructor(owner: SocketOwner) {
    this.owner = owner;
  }

  /** Sockets held, open or with their close event still to run: while there are any, the object's record stays. */
  get size(): number { return this.#sockets.size; }

  accept(ctx: RequestContext, tags: readonly string[]): ObjectSocket {
    const socket = new ObjectSocket(this.#nextId++, tags, ctx, this);
    this.#sockets.set(socket.id, socket);
    this.#accepted.add(socket);
    return socket;
  }

  /** The socket is in a 101 on its way to its client. */
  offered(socket: ObjectSocket): void {
    socket.phase = 'offered';
    socket.acceptedBy = null;
    this.#accepted.delete(socket);
  }

  get(id: unknown): ObjectSocket | undefined {
    return typeof id === 'number' ? this.#sockets.get(id) : undefined;
  }

  /** The sockets getWebSockets() lists: not closed, with `tag` when one is given, in the order accepted. */
  list(tag: string | null): ObjectSocket[] {
    const out: ObjectSocket[] = [];
    for (const socket of this.#sockets.values()) {
      if (socket.phase === 'closed') continue;
      if (tag !== null && !socket.tags.includes(tag)) continue;
      out.push(socket);
    }
    return out;
  }

  remove(socket: ObjectSocket): void {
    if (this.#sockets.get(socket.id) === socket) this.#sockets.delete(socket.id);
    this.#accepted.delete(socket);
  }

  /** The event that accepted these sockets ended without returning them in a 101: nobody can connect them. */
  dropAccepted(ctx: RequestContext): void {
    if (this.#accepted.size === 0) return;
    for (const socket of [...this.#accepted]) {
      if (socket.acceptedBy !== ctx) continue;
      socket.phase = 'closed';
      this.#accepted.delete(socket);
      this.#sockets.delete(socket.id);
    }
  }

  /** Every socket closes with `code` (shutdown); the object hears nothing more of them. */
  shutAll(code: number, reason: string): void {
    for (const socket of this.#sockets.values()) socket.shut(code, reason);
    this.#sockets.clear();
    this.#accepted.clear();
  }
}
