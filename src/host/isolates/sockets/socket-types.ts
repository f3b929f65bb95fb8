// A WebSocket between a client and a worker, as the layers between them see it: the front door holds
// the client's connection (ws), the worker's isolate holds the other end, and in `islet serve` an engine
// boundary lies in between. Each layer hands on the same two shapes, so a message or a close is passed
// along without any layer knowing what is on the far side.

/** A text message, or the bytes of a binary one. */
export type SocketData = string | Uint8Array;

/** One side of a socket as the other side sees it. */
export interface SocketPeer {
  /** A message for this side. `written`, when given, is called once it has left this process (flow control). */
  message(data: SocketData, written?: () => void): void;
  /**
   * The other side has closed: `clean` when the closing handshake completed (or when this side should
   * complete it now, with `code` and `reason` in its close frame).
   */
  close(code: number, reason: string, clean: boolean): void;
}

/** The client's side, as the worker's side sees it: with what it has not yet written, and a brake. */
export interface ClientPeer extends SocketPeer {
  /** Bytes accepted for the client and not yet written out: the worker's send buffer. */
  readonly buffered: number;
  /** Stop reading the client's messages until resume(): the worker's side is behind. */
  pause(): void;
  resume(): void;
}

/** The worker's end of a WebSocket, handed to the front door in a 101 response. */
export interface WorkerSocket {
  /**
   * The handshake with the client is complete: from now on the worker's messages and close go to
   * `client` (what the worker sent before goes first), and the returned peer takes the client's.
   */
  connect(client: ClientPeer): SocketPeer;
}

/** Workers' limit on one message (a larger one closes the socket with 1009). */
export const MAX_MESSAGE_BYTES = 1024 * 1024;
/**
 * What a worker may have sent to one client and not yet written out. send() cannot wait, so past this
 * the socket is closed with 1011 rather than buffering without bound for a client that does not read.
 */
export const MAX_SEND_BUFFER_BYTES = 8 * 1024 * 1024;
/** Open WebSockets per isolate (one worker version in one process). */
export const MAX_SOCKETS_PER_ISOLATE = 10_000;
/** RFC 6455 7.1.6: a close frame's reason is at most 123 bytes, leaving room for the code in 125. */
export const MAX_REASON_BYTES = 123;

/** RFC 6455 7.4: close codes. */
export const CloseCode = {
  Normal: 1000, GoingAway: 1001, NoStatus: 1005, Abnormal: 1006, TooBig: 1009, InternalError: 1011, ServiceRestart: 1012,
} as const;

export function byteLengthOf(data: SocketData): number {
  return typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
}

/** Codes a close frame may carry (RFC 6455 7.4.1-2): 1005, 1006 and 1015 are never sent. */
export function isSendableCloseCode(code: number): boolean {
  return Number.isInteger(code) && ((code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999));
}

/** A worker's socket whose client will never connect: the worker's side sees an abnormal close (1006). */
export function abandonSocket(socket: WorkerSocket): void {
  const gone: ClientPeer = { message() {}, close() {}, buffered: 0, pause() {}, resume() {} };
  socket.connect(gone).close(CloseCode.Abnormal, '', false);
}

/** A close reason cut to what a close frame can carry, on a character boundary. */
export function fitReason(reason: string): string {
  if (Buffer.byteLength(reason) <= MAX_REASON_BYTES) return reason;
  let out = '';
  for (const ch of reason) {
    if (Buffer.byteLength(out + ch) > MAX_REASON_BYTES) break;
    out += ch;
  }
  return out;
}
