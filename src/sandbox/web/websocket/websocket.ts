// WebSocket and WebSocketPair as Workers has them: a pair of connected ends, one of which the worker
// keeps and accepts while the other goes to the client in a 101 response. Once handed over, the far end
// is the host's: messages to it cross as WebSocketSend, and what the client does comes back through the
// `socketEvent` entry. Ends that both stay in the isolate talk to each other directly.
// @see https://developers.cloudflare.com/workers/runtime-apis/websockets/
// @see https://websockets.spec.whatwg.org/#the-websocket-interface
import { Op, SocketEventType } from '../../../shared/boundary.js';
import { hostCall, hostNotify } from '../../bootstrap/host.js';
import {
  ArrayBufferCtor, ArrayBufferIsView, ArrayBufferPrototypeSlice, ArrayPrototypePush, MapCtor, MapPrototypeDelete, MapPrototypeGet,
  MapPrototypeSet, NumberIsFinite, ObjectDefineProperty, PromisePrototypeThen, PromiseResolve, StringPrototypeCharCodeAt,
  SymbolIterator, SymbolToStringTag, TypeErrorCtor, TypedArrayPrototypeSet, Uint8ArrayCtor,
} from '../../bootstrap/primordials.js';
import { structuredClone } from '../clone/structured-clone.js';
import { DOMException } from '../dom/dom-exception.js';
import { getEventHandler, setEventHandler } from '../dom/event-handler.js';
import { EventTarget, dispatchTrusted } from '../dom/event-target.js';
import { ErrorEvent } from '../dom/events.js';
import { MessageEvent } from '../dom/message-channel.js';
import { MathTrunc, NumberCtor } from '../dom/builtins.js';
import { toUSVString } from '../dom/webidl.js';
import { CloseEvent } from './close-event.js';

/** Workers' limit on one WebSocket message; the host enforces it again. */
export const MAX_MESSAGE_BYTES = 1024 * 1024;
const MAX_REASON_BYTES = 123;

const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;

/** What one end receives: a message, or its partner's close. */
type Arrival =
  | { type: 0; data: string | ArrayBuffer }
  | { type: 1; code: number; reason: string; wasClean: boolean };

interface SocketState {
  readyState: number;
  accepted: boolean;
  /** This end went to the client in a Response: it cannot be used here any more. */
  handedOff: boolean;
  /** The partner, while it is in this isolate too. */
  peer: WebSocket | null;
  /** The host's socket id once the partner went to the client; -1 before. */
  hostId: number;
  /** A Durable Object's socket that this end stands for in its stub's caller (only to be returned in a 101); -1 otherwise. */
  relayId: number;
  /** Arrivals not yet dispatched: before accept(), and while an earlier flush runs. */
  inbox: Arrival[];
  flushScheduled: boolean;
  /** What serializeAttachment() kept; undefined: a hibernatable socket's, not yet read back from the host. */
  attachment: { value: unknown } | null | undefined;
  /** The Durable Object (its handle) that accepted this end with ctx.acceptWebSocket; -1 otherwise. */
  owner: number;
  /** Its tags, when the owner has them here (null: ask the host). */
  tags: string[] | null;
  /** Told once when the socket has closed (the request it belongs to may end). */
  onEnd: (() => void) | null;
}

const byHostId = new MapCtor<number, WebSocket>();
let constructing = false;
let stateOf: (socket: WebSocket) => SocketState;
let isSocket: (value: unknown) => value is WebSocket;

function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = StringPrototypeCharCodeAt(text, i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    // A well-formed surrogate pair is one 4-byte code point; text here has been through USVString.
    else if (unit >= 0xd800 && unit <= 0xdbff) { bytes += 4; i++; }
    else bytes += 3;
  }
  return bytes;
}

/** WebIDL [Clamp] unsigned short, as close()'s code is declared. */
function clampUnsignedShort(value: unknown): number {
  const n = NumberCtor(value);
  if (n !== n) return 0;
  if (!NumberIsFinite(n)) return n > 0 ? 0xffff : 0;
  const clamped = n < 0 ? 0 : n > 0xffff ? 0xffff : n;
  // Round half to even, as [Clamp] does.
  const floor = MathTrunc(clamped);
  const diff = clamped - floor;
  return diff > 0.5 || (diff === 0.5 && floor % 2 === 1) ? floor + 1 : floor;
}

/** The message as it crosses: a string, or an ArrayBuffer copy the tenant cannot change afterwards. */
function toMessage(message: unknown): string | ArrayBuffer {
  let data: string | ArrayBuffer;
  if (message instanceof ArrayBufferCtor) data = ArrayBufferPrototypeSlice(message, 0);
  else if (ArrayBufferIsView(message)) {
    const view = message as ArrayBufferView;
    const copy = new Uint8ArrayCtor(view.byteLength);
    TypedArrayPrototypeSet(copy, new Uint8ArrayCtor(view.buffer, view.byteOffset, view.byteLength));
    data = copy.buffer;
  } else data = toUSVString(message);
  // A string's UTF-8 is at most 3 bytes per unit: only long ones need counting.
  const size = typeof data === 'string' ? (data.length * 3 <= MAX_MESSAGE_BYTES ? 0 : utf8Length(data)) : data.byteLength;
  if (size > MAX_MESSAGE_BYTES) {
    throw new TypeErrorCtor(`WebSocket message of ${size} bytes exceeds the limit of ${MAX_MESSAGE_BYTES} bytes.`);
  }
  return data;
}

function scheduleFlush(socket: WebSocket, state: SocketState): void {
  if (state.flushScheduled) return;
  state.flushScheduled = true;
  PromisePrototypeThen(PromiseResolve(undefined), () => {
    state.flushScheduled = false;
    flush(socket, state);
  });
}

function flush(socket: WebSocket, state: SocketState): void {
  while (state.accepted && state.inbox.length > 0) {
    const arrival = state.inbox[0]!;
    // Removed before dispatch: a listener may accept, close or send, which must not see it again.
    state.inbox = state.inbox.length === 1 ? [] : sliceFrom(state.inbox, 1);
    dispatchArrival(socket, state, arrival);
  }
}

function sliceFrom<T>(list: T[], start: number): T[] {
  const out: T[] = [];
  for (let i = start; i < list.length; i++) ArrayPrototypePush(out, list[i]!);
  return out;
}

function dispatchArrival(socket: WebSocket, state: SocketState, arrival: Arrival): void {
  if (arrival.type === 0) {
    if (state.readyState === CLOSED) return;
    dispatchTrusted(socket, new MessageEvent('message', { data: arrival.data }));
    return;
  }
  closed(state);
  if (!arrival.wasClean) dispatchTrusted(socket, new ErrorEvent('error', { message: `WebSocket closed abnormally (${arrival.code})` }));
  dispatchTrusted(socket, new CloseEvent('close', { code: arrival.code, reason: arrival.reason, wasClean: arrival.wasClean }));
}

/** The closing handshake is over: the peer's close frame was answered (Workers replies to it itself). */
function closed(state: SocketState): void {
  if (state.readyState === CLOSED) return;
  state.readyState = CLOSED;
  if (state.hostId >= 0) MapPrototypeDelete(byHostId, state.hostId);
  const onEnd = state.onEnd;
  state.onEnd = null;
  onEnd?.();
}

/** Something for `socket` from its partner: dispatched now when `now` and accepted, else queued in order. */
function arrive(socket: WebSocket, arrival: Arrival, now: boolean): void {
  const state = stateOf(socket);
  ArrayPrototypePush(state.inbox, arrival);
  // The end of a socket ends its part in the request even when nobody accepted it.
  if (arrival.type === 1 && !state.accepted) closed(state);
  if (!state.accepted) return;
  if (now && !state.flushScheduled) flush(socket, state);
  else scheduleFlush(socket, state);
}

export class WebSocket extends EventTarget {
  static {
    stateOf = (socket) => socket.#state;
    isSocket = (value): value is WebSocket => typeof value === 'object' && value !== null && #state in value;
  }
  readonly #state: SocketState = {
    readyState: OPEN, accepted: false, handedOff: false, peer: null, hostId: -1, relayId: -1, inbox: [], flushScheduled: false,
    attachment: null, owner: -1, tags: null, onEnd: null,
  };

  constructor(url?: unknown) {
    if (!constructing) {
      void url;
      throw new DOMException('Outbound WebSocket connections are not supported yet; use a WebSocketPair to accept one.', 'NotSupportedError');
    }
    super();
  }

  get readyState(): number { return this.#state.readyState; }
  get url(): string | null { return null; }
  get protocol(): string | null { return null; }
  get extensions(): string | null { return null; }
  get binaryType(): string { return 'arraybuffer'; }

  /** Starts delivering this end's events; what arrived before is delivered next, in order. */
  accept(): void {
    const state = this.#state;
    if (state.handedOff) throw new TypeErrorCtor("Can't accept() a WebSocket that was already used in a response.");
    if (state.relayId >= 0) throw new DOMException('A Durable Object\'s WebSocket can only be returned in a 101 response here; accepting it in the caller is not supported yet.', 'NotSupportedError');
    if (state.accepted) return;
    state.accepted = true;
    if (state.inbox.length > 0) scheduleFlush(this, state);
  }

  send(message: unknown): void {
    const state = this.#state;
    if (arguments.length === 0) throw new TypeErrorCtor("Failed to execute 'send' on 'WebSocket': 1 argument required, but only 0 present.");
    if (state.handedOff) throw new TypeErrorCtor("Can't call send() on a WebSocket that was returned in a Response.");
    if (!state.accepted) {
      throw new TypeErrorCtor('You must call one of accept() or state.acceptWebSocket() on this WebSocket before sending messages.');
    }
    if (state.readyState === CLOSING || state.readyState === CLOSED) throw new TypeErrorCtor("Can't call WebSocket send() after close().");
    const data = toMessage(message);
    if (state.owner >= 0) hostCall(Op.DoSocketSend, state.owner, state.hostId, data);
    else if (state.hostId >= 0) hostCall(Op.WebSocketSend, state.hostId, data);
    else if (state.peer !== null) arrive(state.peer, { type: 0, data }, false);
  }

  /** @see https://websockets.spec.whatwg.org/#dom-websocket-close */
  close(code: unknown = undefined, reason: unknown = undefined): void {
    const state = this.#state;
    let closeCode: number | null = null;
    if (code !== undefined) {
      closeCode = clampUnsignedShort(code);
      if (closeCode !== 1000 && !(closeCode >= 3000 && closeCode <= 4999)) {
        throw new DOMException(`Failed to execute 'close' on 'WebSocket': The close code must be either 1000, or between 3000 and 4999. ${closeCode} is neither.`, 'InvalidAccessError');
      }
    }
    const text = reason === undefined ? '' : toUSVString(reason);
    if (utf8Length(text) > MAX_REASON_BYTES) {
      throw new DOMException(`Failed to execute 'close' on 'WebSocket': The close reason must not be greater than ${MAX_REASON_BYTES} UTF-8 bytes.`, 'SyntaxError');
    }
    if (state.handedOff) throw new TypeErrorCtor("Can't call close() on a WebSocket that was returned in a Response.");
    if (state.readyState === CLOSING || state.readyState === CLOSED) return;
    state.readyState = CLOSING;
    if (state.owner >= 0) {
      hostCall(Op.DoSocketClose, state.owner, state.hostId, closeCode, text);
      return;
    }
    if (state.hostId >= 0) {
      hostNotify(Op.WebSocketClose, state.hostId, closeCode, text);
      return;
    }
    const peer = state.peer;
    if (peer === null) return;
    // Both ends are here: the partner answers the close at once, as the runtime does for a client.
    arrive(peer, { type: 1, code: closeCode ?? 1005, reason: text, wasClean: true }, false);
    arrive(this, { type: 1, code: closeCode ?? 1005, reason: text, wasClean: true }, false);
  }

  /**
   * Keeps a structured clone of `value` with the socket. A Durable Object's hibernatable socket keeps it
   * on the host too (at most 2,048 bytes serialized), where it survives the object's hibernation.
   */
  serializeAttachment(value: unknown): void {
    const state = this.#state;
    const copy = structuredClone(value);
    if (state.owner >= 0) hostCall(Op.DoSocketAttach, state.owner, state.hostId, copy);
    state.attachment = { value: copy };
  }

  deserializeAttachment(): unknown {
    const state = this.#state;
    if (state.attachment === undefined) {
      const stored = hostCall(Op.DoSocketAttachment, state.owner, state.hostId);
      state.attachment = stored === null ? null : { value: stored };
    }
    const attachment = state.attachment;
    return attachment === null ? null : structuredClone(attachment.value);
  }

  get onmessage(): unknown { return getEventHandler(this.#branded(), 'message'); }
  set onmessage(value: unknown) { setEventHandler(this.#branded(), 'message', value); }
  get onclose(): unknown { return getEventHandler(this.#branded(), 'close'); }
  set onclose(value: unknown) { setEventHandler(this.#branded(), 'close', value); }
  get onerror(): unknown { return getEventHandler(this.#branded(), 'error'); }
  set onerror(value: unknown) { setEventHandler(this.#branded(), 'error', value); }
  get onopen(): unknown { return getEventHandler(this.#branded(), 'open'); }
  set onopen(value: unknown) { setEventHandler(this.#branded(), 'open', value); }
  #branded(): this { return this; }

  declare static readonly CONNECTING: 0;
  declare static readonly OPEN: 1;
  declare static readonly CLOSING: 2;
  declare static readonly CLOSED: 3;
}
// The spec's names, and the READY_STATE_ names Workers also has, on the interface and its prototype.
for (const [name, value] of [
  ['CONNECTING', CONNECTING], ['OPEN', OPEN], ['CLOSING', CLOSING], ['CLOSED', CLOSED],
  ['READY_STATE_CONNECTING', CONNECTING], ['READY_STATE_OPEN', OPEN], ['READY_STATE_CLOSING', CLOSING], ['READY_STATE_CLOSED', CLOSED],
] as const) {
  const descriptor = { value, writable: false, enumerable: true, configurable: false };
  ObjectDefineProperty(WebSocket, name, descriptor);
  ObjectDefineProperty(WebSocket.prototype, name, descriptor);
}
ObjectDefineProperty(WebSocket.prototype, SymbolToStringTag, { value: 'WebSocket', configurable: true });

function newSocket(): WebSocket {
  constructing = true;
  try { return new WebSocket(); } finally { constructing = false; }
}

/** `{ 0: client, 1: server }`, also iterable, so both `Object.values(pair)` and `[a, b] = pair` work. */
export class WebSocketPair {
  declare 0: WebSocket;
  declare 1: WebSocket;
  constructor() {
    const client = newSocket();
    const server = newSocket();
    stateOf(client).peer = server;
    stateOf(server).peer = client;
    ObjectDefineProperty(this, 0, { value: client, writable: true, enumerable: true, configurable: true });
    ObjectDefineProperty(this, 1, { value: server, writable: true, enumerable: true, configurable: true });
  }
  *[SymbolIterator](): Generator<WebSocket> {
    yield this[0];
    yield this[1];
  }
}
ObjectDefineProperty(WebSocketPair.prototype, SymbolToStringTag, { value: 'WebSocketPair', configurable: true });

export function isWebSocket(value: unknown): value is WebSocket { return isSocket(value); }

/** The client end of a socket a Durable Object answered stub.fetch() with: its caller may return it in a 101. */
export function relayedWebSocket(socketId: number): WebSocket {
  const socket = newSocket();
  const state = stateOf(socket);
  state.relayId = socketId;
  return socket;
}

/**
 * `socket` goes to the client of request `reqId` in its 101 response. Its partner, which the worker
 * keeps, is linked to the host's socket from now on; what the partner sent before crosses first.
 * `onEnd` is told when the partner has closed. Throws (the response fails) when `socket` cannot go.
 */
export function handOffToHost(socket: WebSocket, reqId: number, onEnd: () => void): void {
  const state = stateOf(socket);
  if (state.handedOff) throw new TypeErrorCtor("Can't return a WebSocket that was already used in a response.");
  if (state.accepted) throw new TypeErrorCtor("Can't return a WebSocket in a Response after calling accept() on it.");
  if (state.relayId >= 0) {
    // The object's own request keeps its socket open; this request only passes it on.
    hostCall(Op.WebSocketOpen, reqId, state.relayId);
    state.handedOff = true;
    onEnd();
    return;
  }
  const partner = state.peer;
  if (partner === null) throw new TypeErrorCtor("Can't return a WebSocket whose partner is no longer available.");
  const far = stateOf(partner);
  if (far.owner >= 0) {
    // Accepted with ctx.acceptWebSocket(): the host holds it for the object, not for this request, which
    // is over once it has responded. What the partner sent went to the host already.
    hostCall(Op.DoSocketHandOff, reqId, far.owner, far.hostId);
    state.handedOff = true;
    state.peer = null;
    far.peer = null;
    state.inbox = [];
    onEnd();
    return;
  }
  const id = hostCall(Op.WebSocketOpen, reqId) as number;
  state.handedOff = true;
  state.peer = null;
  far.peer = null;
  far.hostId = id;
  far.onEnd = onEnd;
  MapPrototypeSet(byHostId, id, partner);
  const early = state.inbox;
  state.inbox = [];
  for (let i = 0; i < early.length; i++) {
    const arrival = early[i]!;
    if (arrival.type === 0) hostCall(Op.WebSocketSend, id, arrival.data);
    else if (far.readyState === CLOSING) hostNotify(Op.WebSocketClose, id, arrival.code === 1005 ? null : arrival.code, arrival.reason);
  }
}

/**
 * ctx.acceptWebSocket(): the checks accept() makes, and that the socket's partner is still here to be
 * returned in a 101 (an end that came from elsewhere cannot be hibernatable).
 */
export function checkAcceptable(socket: WebSocket): void {
  const state = stateOf(socket);
  if (state.handedOff) throw new TypeErrorCtor("Can't accept() a WebSocket that was already used in a response.");
  if (state.relayId >= 0) throw new TypeErrorCtor("A Durable Object's WebSocket from a stub's response cannot be accepted here.");
  if (state.accepted || state.owner >= 0) throw new TypeErrorCtor('This WebSocket was already accepted.');
  if (state.peer === null) throw new TypeErrorCtor("Can't accept a WebSocket whose partner is no longer available.");
}

/** `socket` is now the hibernatable socket `id` of the object `owner`: its traffic goes through the host. */
export function adoptForObject(socket: WebSocket, owner: number, id: number, tags: string[]): void {
  const state = stateOf(socket);
  state.accepted = true;
  state.owner = owner;
  state.hostId = id;
  state.tags = tags;
  // An attachment set before it was accepted goes to the host, which keeps it from now on.
  if (state.attachment !== null && state.attachment !== undefined) hostCall(Op.DoSocketAttach, owner, id, state.attachment.value);
  state.inbox = [];
}

/** A hibernatable socket of `owner` as this instance of the object sees it (after hibernation, a new object). */
export function objectSocket(owner: number, id: number, tags: string[] | null, closing: boolean): WebSocket {
  const socket = newSocket();
  const state = stateOf(socket);
  state.accepted = true;
  state.owner = owner;
  state.hostId = id;
  state.tags = tags;
  state.attachment = undefined;
  if (closing) state.readyState = CLOSING;
  return socket;
}

/** The hibernatable socket's close has arrived. */
export function objectSocketClosed(socket: WebSocket): void {
  stateOf(socket).readyState = CLOSED;
}

/** The object and id of a hibernatable socket, or null for any other value. */
export function objectSocketOf(value: unknown): { owner: number; id: number; state: { tags: string[] | null } } | null {
  if (!isSocket(value)) return null;
  const state = stateOf(value);
  return state.owner < 0 ? null : { owner: state.owner, id: state.hostId, state };
}

/** Host entry: what happened on a socket the host holds (see SocketEventType in the boundary). */
export function socketEvent(socketId: number, type: number, a: unknown, b: unknown, c: unknown): void {
  const socket = MapPrototypeGet(byHostId, socketId);
  if (socket === undefined) return;
  if (type === SocketEventType.Message) {
    if (typeof a === 'string' || a instanceof ArrayBufferCtor) arrive(socket, { type: 0, data: a }, true);
    return;
  }
  if (type === SocketEventType.Close) {
    arrive(socket, { type: 1, code: typeof a === 'number' ? a : 1006, reason: typeof b === 'string' ? b : '', wasClean: c === true }, true);
  }
}
