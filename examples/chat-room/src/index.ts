// Chat rooms over WebSockets: one Durable Object per room holds the room's sockets, relays every
// message to everyone in the order it received them, and keeps the last 50 messages in its storage so
// that a client joining later (after a restart too) gets the history first. Each message is a key of
// its own (`msg:<sequence>`): 50 long messages in one value would pass the 128 KiB value limit.
//
//   websocat 'ws://127.0.0.1:8787/chat-room/room/lobby?name=ada'     (under npm start)
//   curl http://127.0.0.1:8787/chat-room/room/lobby                   (the history, as JSON)
import { DurableObject } from 'cloudflare:workers';

interface Env { ROOMS: DurableObjectNamespace<ChatRoom> }
interface ChatMessage { name: string; text: string; at: number }
interface Attachment { name: string }

const HISTORY = 50;
const ROOM_PATH = /\/room\/([A-Za-z0-9_-]{1,64})\/?$/;

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const room = new URL(request.url).pathname.match(ROOM_PATH)?.[1];
    if (room === undefined) {
      return new Response('Connect a WebSocket to /room/<name>?name=<you>, or GET /room/<name> for its history.\n', { status: 404 });
    }
    return env.ROOMS.get(env.ROOMS.idFromName(room)).fetch(request);
  },
};

export class ChatRoom extends DurableObject<Env> {
  #history: ChatMessage[] = [];
  #sequence = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    // Nothing reaches the room before its history is loaded.
    void ctx.blockConcurrencyWhile(async () => {
      const stored = await ctx.storage.list<ChatMessage>({ prefix: 'msg:', reverse: true, limit: HISTORY });
      this.#history = [...stored.values()].reverse();
      const newest = stored.keys().next().value;
      this.#sequence = newest === undefined ? 0 : Number(newest.slice(4));
    });
  }

  async fetch(request: Request): Promise<Response> {
    if (request.headers.get('upgrade') !== 'websocket') return Response.json(this.#history);
    const name = (new URL(request.url).searchParams.get('name') ?? 'anonymous').slice(0, 32);
    const [client, server] = Object.values(new WebSocketPair());
    // The hibernation API: the socket's messages arrive in webSocketMessage(), its name in its attachment.
    this.ctx.acceptWebSocket(server, [name]);
    server.serializeAttachment({ name } satisfies Attachment);
    for (const message of this.#history) server.send(JSON.stringify(message));
    return new Response(null, { status: 101, webSocket: client });
  }

  webSocketMessage(ws: WebSocket, data: string | ArrayBuffer): void {
    const { name } = ws.deserializeAttachment() as Attachment;
    const text = typeof data === 'string' ? data : new TextDecoder().decode(data);
    const message: ChatMessage = { name, text: text.slice(0, 4096), at: Date.now() };
    // Relayed before anything awaits, so every client sees the messages in the order the room took them.
    const line = JSON.stringify(message);
    for (const socket of this.ctx.getWebSockets()) {
      try { socket.send(line); } catch { /* a socket closing as we send: its close handler runs next */ }
    }
    this.#history.push(message);
    if (this.#history.length > HISTORY) this.#history.splice(0, this.#history.length - HISTORY);
    // Zero-padded, so the keys sort in the order the messages came; the one that fell out of the
    // history goes from storage in the same write.
    this.#sequence++;
    const key = (n: number) => `msg:${String(n).padStart(12, '0')}`;
    void this.ctx.storage.put(key(this.#sequence), message);
    if (this.#sequence > HISTORY) void this.ctx.storage.delete(key(this.#sequence - HISTORY));
  }

  webSocketClose(ws: WebSocket, code: number, reason: string): void {
    // The runtime has answered the client's close already; nothing to release here.
    void ws; void code; void reason;
  }
}
