// The host's half of the WebSockets of one isolate: a table of sockets by id, the checks on every
// socket operation coming out of the isolate, and the delivery of the client's messages and close into
// it. A socket belongs to the request whose 101 response handed it out: that request stays open while
// the socket is, each message the client sends is an event with its own CPU budget charged to it, and
// when the request ends (a limit, the isolate stopping) its sockets close with 1011.
import { ErrorKind, SocketEventType, type HostReply } from '../../../shared/boundary.js';
import { fail, ok, typeError } from '../host-ops/reply.js';
import type { RequestContext } from '../request-context.js';
import {
  CloseCode, MAX_MESSAGE_BYTES, MAX_REASON_BYTES, MAX_SEND_BUFFER_BYTES, MAX_SOCKETS_PER_ISOLATE, abandonSocket, byteLengthOf, fitReason,
  type ClientPeer, type SocketData, type SocketPeer, type WorkerSocket,
} from './socket-types.js';

export interface SocketHost {
  /** Runs the isolate's `socketEvent(args)` as an event of `ctx`. */
  deliver(ctx: RequestContext, args: unknown[]): void;
  /** A call into the isolate is running: deliveries wait until it has returned. */
  busy(): boolean;
  /** The request a call out of the isolate was made for, if any. */
  current(): RequestContext | null;
}

type Phase = 'pending' | 'open' | 'closing' | 'closed';

class IsolateSocket implements WorkerSocket {
  readonly table: IsolateSockets;
  readonly id: number;
  readonly ctx: RequestContext;
  phase: Phase = 'pending';
  client: ClientPeer | null = null;
  /** What the worker sent before the client was connected, and its size. */
  early: SocketData[] = [];
  earlyBytes = 0;
  /** A close the worker asked for before the client was connected. */
  earlyClose: { code: number; reason: string } | null = null;

  constructor(id: number, ctx: RequestContext, table: IsolateSockets) {
    this.id = id;
    this.ctx = ctx;
    this.table = table;
  }

  connect(client: ClientPeer): SocketPeer {
    this.client = client;
    if (this.phase === 'closed') {
      // The request ended before the handshake: the client learns it at once.
      client.close(CloseCode.InternalError, 'The worker stopped before the connection opened.', true);
    } else {
      for (const data of this.early) client.message(data);
      this.early = [];
      this.earlyBytes = 0;
      if (this.earlyClose !== null) client.close(this.earlyClose.code, this.earlyClose.reason, true);
    }
    return {
      message: (data, written) => {
        this.table.fromClient(this, data);
        written?.();
      },
      close: (code, reason, clean) => this.table.clientClosed(this, code, reason, clean),
    };
  }
}

export class IsolateSockets {
  readonly #host: SocketHost;
  readonly #sockets = new Map<number, IsolateSocket>();
  /**
   * The socket each request has for its 101 response and not yet handed out: one it opened, one a
   * Durable Object's stub gave it, or a Durable Object's hibernatable socket (owned by the object).
   */
  readonly #pending = new Map<RequestContext, WorkerSocket>();
  /** Sockets a Durable Object's 101 handed to its stub's caller, which may return them in its own 101, by relay id. */
  readonly #relayable = new Map<number, { socket: WorkerSocket; ctx: RequestContext }>();
  #nextRelay = 1;
  readonly #queue: { ctx: RequestContext; args: unknown[]; closes: boolean }[] = [];
  #draining = false;
  #nextId = 1;

  constructor(host: SocketHost) {
    this.#host = host;
  }

  get open(): number { return this.#sockets.size; }

  /** WebSocketOpen (reqId): a socket for the 101 response of the request making the call. */
  openFor(reqId: unknown, relayed: unknown = null): HostReply {
    const ctx = this.#host.current();
    if (ctx === null || ctx.id !== reqId || ctx.responded) return typeError('A WebSocket can only be returned in the response of the request running.');
    if (this.#pending.has(ctx)) return typeError('This response already has a WebSocket.');
    if (relayed !== null) {
      // A socket a Durable Object answered this request's stub.fetch() with: it stays the object's
      // (its events go to the object) and goes to this request's client.
      const entry = typeof relayed === 'number' ? this.#relayable.get(relayed) : undefined;
      if (entry === undefined) return typeError('This WebSocket cannot be returned in a response.');
      this.#relayable.delete(relayed as number);
      this.#pending.set(ctx, entry.socket);
      return ok(relayed);
    }
    if (this.#sockets.size >= MAX_SOCKETS_PER_ISOLATE) {
      return fail(ErrorKind.Error, `Too many open WebSockets: this worker has reached its limit of ${MAX_SOCKETS_PER_ISOLATE}.`);
    }
    const socket = new IsolateSocket(this.#nextId++, ctx, this);
    this.#sockets.set(socket.id, socket);
    this.#pending.set(ctx, socket);
    ctx.openSockets++;
    return ok(socket.id);
  }

  /** A Durable Object's hibernatable socket for `ctx`'s 101 response: null, or why it cannot be. */
  offer(ctx: RequestContext, socket: WorkerSocket): HostReply | null {
    if (ctx.responded) return typeError('A WebSocket can only be returned in the response of the request running.');
    if (this.#pending.has(ctx)) return typeError('This response already has a WebSocket.');
    this.#pending.set(ctx, socket);
    return null;
  }

  /** Respond with 101: the socket the request opened goes to the front door; null when it opened none. */
  takePending(ctx: RequestContext): WorkerSocket | null {
    const socket = this.#pending.get(ctx) ?? null;
    if (socket === null) return null;
    this.#pending.delete(ctx);
    if (socket instanceof IsolateSocket && socket.phase === 'pending') socket.phase = 'open';
    return socket;
  }

  /**
   * The id by which the stub's caller `ctx` names a socket a Durable Object's 101 response handed out.
   * One the caller does not return before it ends is abandoned: the object hears a 1006 close.
   */
  relay(ctx: RequestContext, socket: WorkerSocket): number {
    const id = this.#nextRelay++;
    if (ctx.ended) abandonSocket(socket);
    else this.#relayable.set(id, { socket, ctx });
    return id;
  }

  /** WebSocketSend (socketId, data): any request of the isolate may send on any of its sockets (a room broadcasts). */
  send(args: unknown[]): HostReply {
    const [id, data] = args;
    const socket = typeof id === 'number' ? this.#sockets.get(id) : undefined;
    if (!(typeof data === 'string' || data instanceof ArrayBuffer)) return typeError('A WebSocket message must be a string or an ArrayBuffer.');
    const bytes = typeof data === 'string' ? data : new Uint8Array(data);
    const size = byteLengthOf(bytes);
    if (size > MAX_MESSAGE_BYTES) return typeError(`WebSocket message of ${size} bytes exceeds the limit of ${MAX_MESSAGE_BYTES} bytes.`);
    // A socket the client has just closed: the worker learns it from its close event, not from here.
    if (socket === undefined || socket.phase === 'closed' || socket.phase === 'closing') return ok(null);
    const client = socket.client;
    if (client === null) {
      socket.earlyBytes += size;
      if (socket.earlyBytes > MAX_SEND_BUFFER_BYTES) { this.#overflow(socket); return ok(null); }
      socket.early.push(bytes);
      return ok(null);
    }
    if (client.buffered + size > MAX_SEND_BUFFER_BYTES) { this.#overflow(socket); return ok(null); }
    client.message(bytes);
    return ok(null);
  }

  /** WebSocketClose (socketId, code | null, reason): the worker starts the closing handshake. */
  close(args: unknown[]): HostReply {
    const [id, code, reason] = args;
    const socket = typeof id === 'number' ? this.#sockets.get(id) : undefined;
    if (!(code === null || (typeof code === 'number' && (code === 1000 || (Number.isInteger(code) && code >= 3000 && code <= 4999))))) {
      return typeError('Invalid WebSocket close code.');
    }
    if (typeof reason !== 'string' || Buffer.byteLength(reason) > MAX_REASON_BYTES) return typeError('Invalid WebSocket close reason.');
    if (socket === undefined || socket.phase === 'closed' || socket.phase === 'closing') return ok(null);
    socket.phase = 'closing';
    // No code: the close frame carries none, and the client sees 1005.
    const sent = code ?? CloseCode.NoStatus;
    if (socket.client === null) socket.earlyClose = { code: sent, reason };
    else socket.client.close(sent, reason, true);
    return ok(null);
  }

  /** A message from the client: one event of the socket's request. */
  fromClient(socket: IsolateSocket, data: SocketData): void {
    if (socket.phase === 'closed') return;
    // isolated-vm copies an ArrayBuffer whole: hand it exactly the message's bytes.
    const payload = typeof data === 'string' ? data
      : data.byteOffset === 0 && data.byteLength === data.buffer.byteLength ? data.buffer : data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength);
    this.#deliver(socket.ctx, [socket.id, SocketEventType.Message, payload, null, null]);
  }

  /** The client's side is closed (its close frame answered, or the connection lost). */
  clientClosed(socket: IsolateSocket, code: number, reason: string, clean: boolean): void {
    if (socket.phase === 'closed') return;
    this.#forget(socket);
    this.#deliver(socket.ctx, [socket.id, SocketEventType.Close, code, fitReason(reason), clean], true);
  }

  /** The request is over (its end, a limit, the isolate going): its sockets close with `code`. */
  endRequest(ctx: RequestContext, code: number = CloseCode.InternalError, reason = 'The worker stopped.'): void {
    const pending = this.#pending.get(ctx);
    this.#pending.delete(ctx);
    // A socket someone else owns, given to this request and never returned: nobody will connect it.
    if (pending !== undefined && !(pending instanceof IsolateSocket && pending.ctx === ctx)) abandonSocket(pending);
    if (this.#relayable.size > 0) {
      for (const [id, entry] of this.#relayable) {
        if (entry.ctx !== ctx) continue;
        this.#relayable.delete(id);
        abandonSocket(entry.socket);
      }
    }
    if (ctx.openSockets === 0) return;
    for (const socket of [...this.#sockets.values()]) {
      if (socket.ctx !== ctx) continue;
      this.#forget(socket);
      socket.client?.close(code, reason, true);
    }
    // Closes still queued for delivery are dropped with the request.
    ctx.openSockets = 0;
  }

  /** Every socket closes with `code` (shutdown, a reload): their workers hear of it as a close from the client. */
  closeAll(code: number, reason: string): void {
    for (const socket of [...this.#sockets.values()]) {
      if (socket.phase === 'closed' || socket.phase === 'closing') continue;
      socket.phase = 'closing';
      if (socket.client === null) socket.earlyClose = { code, reason };
      else socket.client.close(code, reason, true);
    }
  }

  /** The client does not read what the worker sends: both sides are told, with 1011. */
  #overflow(socket: IsolateSocket): void {
    const reason = 'The WebSocket send buffer is full: the client is not reading.';
    this.#forget(socket);
    socket.client?.close(CloseCode.InternalError, reason, true);
    this.#deliver(socket.ctx, [socket.id, SocketEventType.Close, CloseCode.InternalError, reason, false], true);
  }

  /** Out of the table; the request still counts the socket open until its close event is delivered. */
  #forget(socket: IsolateSocket): void {
    socket.phase = 'closed';
    socket.early = [];
    this.#sockets.delete(socket.id);
  }

  /**
   * Events enter the isolate in the order they happened, and never inside another call into it. A close
   * stops counting as open as it is delivered: until then the request must not be taken for finished.
   */
  #deliver(ctx: RequestContext, args: unknown[], closes = false): void {
    if (!this.#host.busy() && this.#queue.length === 0) { this.#run(ctx, args, closes); return; }
    this.#queue.push({ ctx, args, closes });
    if (!this.#draining) {
      this.#draining = true;
      setImmediate(this.#drain);
    }
  }

  #run(ctx: RequestContext, args: unknown[], closes: boolean): void {
    if (closes && ctx.openSockets > 0) ctx.openSockets--;
    this.#host.deliver(ctx, args);
  }

  readonly #drain = (): void => {
    this.#draining = false;
    while (this.#queue.length > 0 && !this.#host.busy()) {
      const { ctx, args, closes } = this.#queue.shift()!;
      this.#run(ctx, args, closes);
    }
    if (this.#queue.length > 0 && !this.#draining) {
      this.#draining = true;
      setImmediate(this.#drain);
    }
  };
}
