// WebSocket upgrades at the front door. An upgrade request runs through the worker like any request
// (node:http hands it to the 'upgrade' event, which gets a ServerResponse on the raw socket so the
// usual request path can answer it). A 101 with the worker's socket completes the handshake with `ws`
// and connects the two; any other answer is written back as a plain HTTP response on the socket.
// @see https://www.rfc-editor.org/rfc/rfc6455
import { ServerResponse, type IncomingMessage, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { HEADER_SEPARATOR } from '../../shared/boundary.js';
import type { OutgoingResponse } from '../isolates/request-types.js';
import { CloseCode, MAX_MESSAGE_BYTES, abandonSocket, fitReason, type ClientPeer, type WorkerSocket } from '../isolates/sockets/socket-types.js';

interface PendingUpgrade { socket: Duplex; head: Buffer }

/** Upgrade requests still waiting for their worker's answer. */
const pending = new WeakMap<IncomingMessage, PendingUpgrade>();
/** The worker's 101 response, while ws writes the handshake (its headers and chosen subprotocol). */
const answers = new WeakMap<IncomingMessage, { headers: [string, string][]; protocol: string | null }>();

/** Headers of a worker's 101 that the handshake itself owns. */
const HANDSHAKE_HEADERS = new Set(['upgrade', 'connection', 'sec-websocket-accept', 'sec-websocket-protocol', 'sec-websocket-extensions', 'content-length', 'transfer-encoding']);

// One server for every front door in the process: it only performs handshakes (noServer) and keeps no
// list of clients. Compression is off: an inflated message could be far larger than what was read.
const handshakes = new WebSocketServer({
  noServer: true,
  clientTracking: false,
  perMessageDeflate: false,
  maxPayload: MAX_MESSAGE_BYTES,
  handleProtocols: (protocols, req) => {
    const chosen = answers.get(req)?.protocol ?? null;
    return chosen !== null && protocols.has(chosen) ? chosen : false;
  },
});
handshakes.on('headers', (lines, req) => {
  for (const [name, value] of answers.get(req)?.headers ?? []) lines.push(`${name}: ${value}`);
});

/**
 * Routes node:http's 'upgrade' requests through `handle`, the front door's ordinary request listener,
 * with a response object writing to the raw socket: routing, limits and errors stay in one place.
 */
export function acceptUpgrades(server: Server, handle: (req: IncomingMessage, res: ServerResponse) => void): void {
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // A client that goes away mid-handshake is nobody's error.
    socket.on('error', () => {});
    const res = new ServerResponse(req);
    res.shouldKeepAlive = false;
    res.assignSocket(socket as Socket);
    res.on('finish', () => {
      res.detachSocket(socket as Socket);
      socket.end();
    });
    // An upgrade carries no body (RFC 6455 4.1); anything after the head belongs to the new protocol.
    if (req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined) {
      res.writeHead(400, ['content-type', 'text/plain;charset=UTF-8']);
      res.end('Bad Request: an upgrade request cannot have a body.\n');
      return;
    }
    pending.set(req, { socket, head });
    handle(req, res);
  });
}

function isWebSocketHandshake(req: IncomingMessage): boolean {
  return req.method === 'GET' && (req.headers.upgrade ?? '').toLowerCase() === 'websocket';
}

/** The worker answered 101 with a socket: complete the handshake, or close the worker's side when it cannot be. */
export function answerUpgrade(req: IncomingMessage, res: ServerResponse, response: OutgoingResponse & { webSocket: WorkerSocket }, traceId: string): void {
  const upgrade = pending.get(req);
  pending.delete(req);
  if (upgrade === undefined || response.status !== 101 || !isWebSocketHandshake(req) || res.headersSent || res.destroyed) {
    abandonSocket(response.webSocket);
    if (!res.headersSent && !res.destroyed) {
      res.writeHead(500, ['content-type', 'text/plain;charset=UTF-8']);
      res.end('Internal Server Error: the worker answered 101 to a request that is not a WebSocket upgrade.\n');
    }
    return;
  }
  const headers: [string, string][] = [['x-trace-id', traceId]];
  let protocol: string | null = null;
  for (const line of response.headers === '' ? [] : response.headers.split(HEADER_SEPARATOR)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).toLowerCase();
    const value = line.slice(colon + 1);
    // The worker's values come out of an isolate: only what a header line can hold goes on the wire.
    if (!/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(name) || /[\r\n\0]/.test(value)) continue;
    if (name === 'sec-websocket-protocol') protocol = value.trim();
    else if (!HANDSHAKE_HEADERS.has(name) && name !== 'x-trace-id') headers.push([name, value]);
  }
  answers.set(req, { headers, protocol });
  res.detachSocket(upgrade.socket as Socket);
  let connected = false;
  handshakes.handleUpgrade(req, upgrade.socket, upgrade.head, (ws) => {
    connected = true;
    bridge(ws, response.webSocket);
  });
  answers.delete(req);
  // ws answers an invalid handshake (400) or a socket already gone by itself, without calling back.
  if (!connected) abandonSocket(response.webSocket);
}

/** Pumps one connected socket both ways until either side closes. */
function bridge(ws: WebSocket, socket: WorkerSocket): void {
  let failure: number | null = null;
  const client: ClientPeer = {
    message(data, written) {
      if (ws.readyState !== ws.OPEN) return;
      ws.send(data, () => written?.());
    },
    close(code, reason, clean) {
      if (!clean || code === CloseCode.Abnormal) ws.terminate();
      else if (code === CloseCode.NoStatus) ws.close();
      else ws.close(code, fitReason(reason));
    },
    get buffered() { return ws.bufferedAmount; },
    pause() { ws.pause(); },
    resume() { ws.resume(); },
  };
  const worker = socket.connect(client);
  ws.on('message', (data: RawData, isBinary: boolean) => {
    const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
    worker.message(isBinary ? bytes : bytes.toString('utf8'));
  });
  ws.on('error', (err: Error & { code?: string }) => {
    // ws closes the connection itself (a message over the limit: 1009; a protocol error: 1002 ...).
    failure = err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' ? CloseCode.TooBig : failure ?? CloseCode.Abnormal;
  });
  ws.on('close', (code: number, reason: Buffer) => {
    const clean = failure === null && code !== CloseCode.Abnormal;
    worker.close(failure ?? code, failure === CloseCode.TooBig ? 'Message too big' : reason.toString('utf8'), clean);
  });
}
