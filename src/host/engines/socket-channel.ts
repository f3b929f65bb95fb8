// WebSockets between the supervisor, which holds the client's connection, and the engine whose isolate
// holds the worker's end. A socket is known by the seq of the request whose 101 response opened it.
// Both directions are bounded: the engine counts the bytes it has sent towards the client until the
// supervisor says they were written to the client's connection (so a client that does not read fills
// the worker's send buffer, and the socket closes with 1011, instead of the supervisor's memory); the
// supervisor counts the bytes of client messages until the engine says they were delivered, and stops
// reading the client's connection while too many are outstanding.
// A close from the worker's side is passed on but ends nothing: the client answers it, and that answer
// (or the connection's loss) is what ends the socket on both sides of the boundary.
import {
  CloseCode, MAX_MESSAGE_BYTES, byteLengthOf, fitReason, isSendableCloseCode,
  type ClientPeer, type SocketData, type SocketPeer, type WorkerSocket,
} from '../isolates/sockets/socket-types.js';

export type SocketMessage =
  /** A message for the other side. */
  | { t: 'wsm'; seq: number; d: SocketData }
  /** This side closed (see SocketPeer.close). */
  | { t: 'wsc'; seq: number; code: number; reason: string; clean: boolean }
  /** `n` bytes of the other side's messages were written to the client (to the engine) or delivered to the worker (to the supervisor). */
  | { t: 'wsa'; seq: number; n: number };

/** Client bytes sent into an engine and not yet delivered, beyond which the client's connection is paused. */
const CLIENT_WINDOW_BYTES = 4 * 1024 * 1024;

/** A socket message from the other side, checked (an engine runs tenant code); null when malformed. */
export function parseSocketMessage(m: Record<string, unknown>): SocketMessage | null {
  const seq = m.seq;
  if (typeof seq !== 'number' || !Number.isInteger(seq)) return null;
  switch (m.t) {
    case 'wsm': {
      const d = m.d;
      if (!(typeof d === 'string' || d instanceof Uint8Array) || byteLengthOf(d) > MAX_MESSAGE_BYTES) return null;
      return { t: 'wsm', seq, d };
    }
    case 'wsc': {
      const { code, reason, clean } = m;
      if (typeof code !== 'number' || typeof reason !== 'string' || typeof clean !== 'boolean') return null;
      const known = isSendableCloseCode(code) || code === CloseCode.NoStatus || code === CloseCode.Abnormal;
      return { t: 'wsc', seq, code: known ? code : CloseCode.InternalError, reason: fitReason(reason.slice(0, 256)), clean };
    }
    case 'wsa': return typeof m.n === 'number' && Number.isInteger(m.n) && m.n > 0 ? { t: 'wsa', seq, n: m.n } : null;
    default: return null;
  }
}

/** The supervisor's view of a worker's socket living in an engine: what EngineClient hands the front door. */
export class RemoteWorkerSocket implements WorkerSocket {
  readonly #seq: number;
  readonly #send: (message: SocketMessage) => void;
  readonly #onEnd: () => void;
  #client: ClientPeer | null = null;
  /** What the worker sent before the handshake completed (bounded by the engine's send buffer). */
  #early: SocketData[] = [];
  #earlyClose: { code: number; reason: string; clean: boolean } | null = null;
  #inFlight = 0;
  #paused = false;
  #over = false;

  constructor(seq: number, send: (message: SocketMessage) => void, onEnd: () => void) {
    this.#seq = seq;
    this.#send = send;
    this.#onEnd = onEnd;
  }

  connect(client: ClientPeer): SocketPeer {
    this.#client = client;
    for (const data of this.#early) this.#toClient(data);
    this.#early = [];
    if (this.#earlyClose !== null) client.close(this.#earlyClose.code, this.#earlyClose.reason, this.#earlyClose.clean);
    return {
      message: (data) => {
        if (this.#over) return;
        const size = byteLengthOf(data);
        this.#inFlight += size;
        this.#send({ t: 'wsm', seq: this.#seq, d: data });
        if (!this.#paused && this.#inFlight > CLIENT_WINDOW_BYTES) {
          this.#paused = true;
          client.pause();
        }
      },
      close: (code, reason, clean) => {
        if (this.#end()) this.#send({ t: 'wsc', seq: this.#seq, code, reason, clean });
      },
    };
  }

  /** A checked message from the engine. */
  receive(message: SocketMessage): void {
    if (this.#over) return;
    if (message.t === 'wsm') {
      if (this.#client === null) this.#early.push(message.d);
      else this.#toClient(message.d);
    } else if (message.t === 'wsa') {
      this.#inFlight = Math.max(0, this.#inFlight - message.n);
      if (this.#paused && this.#inFlight <= CLIENT_WINDOW_BYTES / 2) {
        this.#paused = false;
        this.#client?.resume();
      }
    } else {
      this.#closeClient(message.code, message.reason, message.clean);
    }
  }

  /** The engine is gone: the client is told with 1011, as for an isolate that stopped. */
  engineStopped(): void {
    if (!this.#end()) return;
    this.#closeClient(CloseCode.InternalError, 'The worker stopped.', true);
  }

  #toClient(data: SocketData): void {
    const size = byteLengthOf(data);
    this.#client!.message(data, () => { if (!this.#over) this.#send({ t: 'wsa', seq: this.#seq, n: Math.max(1, size) }); });
  }

  #closeClient(code: number, reason: string, clean: boolean): void {
    if (this.#client === null) this.#earlyClose = { code, reason, clean };
    else this.#client.close(code, reason, clean);
  }

  #end(): boolean {
    if (this.#over) return false;
    this.#over = true;
    this.#onEnd();
    return true;
  }
}

/** The engine's view of the client of a worker's socket: messages go to the supervisor, counted until written. */
export class EngineSocketEnd implements ClientPeer {
  readonly #seq: number;
  readonly #send: (message: SocketMessage) => void;
  readonly #onEnd: () => void;
  #buffered = 0;
  #over = false;
  /** The worker's side has closed; the client's answer ends the socket. */
  #closing = false;
  /** The worker's side, once connected. */
  worker: SocketPeer | null = null;

  constructor(seq: number, send: (message: SocketMessage) => void, onEnd: () => void) {
    this.#seq = seq;
    this.#send = send;
    this.#onEnd = onEnd;
  }

  get buffered(): number { return this.#buffered; }

  message(data: SocketData): void {
    if (this.#over || this.#closing) return;
    this.#buffered += Math.max(1, byteLengthOf(data));
    this.#send({ t: 'wsm', seq: this.#seq, d: data });
  }

  close(code: number, reason: string, clean: boolean): void {
    if (this.#over || this.#closing) return;
    this.#closing = true;
    this.#send({ t: 'wsc', seq: this.#seq, code, reason, clean });
  }

  // The supervisor holds the brake on the client's connection (see RemoteWorkerSocket).
  pause(): void {}
  resume(): void {}

  /** A message from the supervisor for the worker's side. */
  receive(message: SocketMessage): void {
    if (this.#over) return;
    if (message.t === 'wsa') { this.#buffered = Math.max(0, this.#buffered - message.n); return; }
    if (message.t === 'wsm') {
      // Acknowledged once the worker's side has taken it: a Durable Object's socket does so only when
      // the message's event has run, so a client outpacing its object is paused by the supervisor.
      const ack = () => { if (!this.#over) this.#send({ t: 'wsa', seq: this.#seq, n: Math.max(1, byteLengthOf(message.d)) }); };
      if (this.worker === null) ack();
      else this.worker.message(message.d, ack);
      return;
    }
    this.#end();
    this.worker?.close(message.code, message.reason, message.clean);
  }

  #end(): boolean {
    if (this.#over) return false;
    this.#over = true;
    this.#onEnd();
    return true;
  }
}
