// A Durable Object room over the WebSocket Hibernation API, driven by the messages its clients send
// (`command argument`), and a room over plain accept() for contrast. Each construction is counted in
// storage, so a test can tell an instance that stayed in memory from one built again. Shared by the
// gate and hibernation tests.
export const HIBERNATION_BINDINGS = [
  { binding: 'ROOMS', className: 'Room' },
  { binding: 'PINNED', className: 'Pinned' },
];

export const HIBERNATION_WORKER = `
import { DurableObject } from 'cloudflare:workers';
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function countConstruction(ctx) {
  const constructions = ((await ctx.storage.get('constructions')) ?? 0) + 1;
  await ctx.storage.put('constructions', constructions);
  return constructions;
}

export class Room extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.memory = null;
    ctx.blockConcurrencyWhile(async () => { this.constructions = await countConstruction(ctx); });
  }

  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname.endsWith('/hold')) {
      // Closes the input gate across a timer: nothing else may run in the object meanwhile.
      await this.ctx.blockConcurrencyWhile(async () => {
        await this.ctx.storage.put('phase', 'held');
        await sleep(Number(url.searchParams.get('ms') ?? 300));
        await this.ctx.storage.put('phase', 'released');
      });
      return new Response('released');
    }
    if (url.pathname.endsWith('/state')) return Response.json(Object.fromEntries(await this.ctx.storage.list()));
    if (request.headers.get('upgrade') !== 'websocket') return new Response('expected a WebSocket', { status: 426 });
    const name = url.searchParams.get('name') ?? 'anonymous';
    const [client, server] = Object.values(new WebSocketPair());
    this.ctx.acceptWebSocket(server, [name, 'everyone']);
    server.serializeAttachment({ name });
    if (url.searchParams.has('auto')) this.ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair('ping', 'pong'));
    server.send(JSON.stringify({ hello: name, constructions: this.constructions }));
    return new Response(null, { status: 101, webSocket: client });
  }

  async webSocketMessage(ws, data) {
    const text = typeof data === 'string' ? data : new TextDecoder().decode(data);
    const space = text.indexOf(' ');
    const command = space < 0 ? text : text.slice(0, space);
    const arg = space < 0 ? '' : text.slice(space + 1);
    switch (command) {
      case 'remember':
        this.memory = arg;
        ws.send('remembered');
        return;
      case 'whoami':
        ws.send(JSON.stringify({
          constructions: this.constructions, memory: this.memory, attachment: ws.deserializeAttachment(),
          tags: this.ctx.getTags(ws), sockets: this.ctx.getWebSockets().length,
          tagged: this.ctx.getWebSockets(arg || 'nobody').map((socket) => socket.deserializeAttachment().name),
          autoResponse: this.ctx.getWebSocketAutoResponse()?.response ?? null,
          autoResponseAt: this.ctx.getWebSocketAutoResponseTimestamp(ws)?.getTime() ?? null,
        }));
        return;
      case 'attach':
        try {
          ws.serializeAttachment({ name: ws.deserializeAttachment().name, padding: 'x'.repeat(Number(arg)) });
          ws.send('attached');
        } catch (err) {
          ws.send('refused ' + err.message);
        }
        return;
      case 'incr':
        // A read-modify-write across a timer, inside the gate the object closes explicitly.
        await this.ctx.blockConcurrencyWhile(async () => {
          const count = (await this.ctx.storage.get('count')) ?? 0;
          await sleep(2);
          await this.ctx.storage.put('count', count + 1);
        });
        ws.send('counted ' + arg);
        return;
      case 'phase':
        ws.send('phase ' + (await this.ctx.storage.get('phase')));
        return;
      case 'seq': {
        // Handlers start in the order their messages arrived; the timer lets the next one in.
        const log = (await this.ctx.storage.get('log')) ?? [];
        log.push(arg);
        await this.ctx.storage.put('log', log);
        await sleep(Math.random() * 4);
        ws.send('seq ' + arg);
        return;
      }
      case 'doomed':
        this.ctx.storage.put('doomed', true);
        ws.send('sent before the limit');
        for (;;) {}
      case 'broadcast':
        for (const socket of this.ctx.getWebSockets()) socket.send(arg);
        return;
      case 'close':
        ws.close(4000, 'asked to');
        return;
    }
  }

  async webSocketClose(ws, code, reason, wasClean) {
    const left = (await this.ctx.storage.get('left')) ?? [];
    left.push({ name: ws.deserializeAttachment()?.name ?? null, code, wasClean, constructions: this.constructions });
    await this.ctx.storage.put('left', left);
  }
}

/** The Web-standard API: the object holds its socket itself, so it must stay in memory. */
export class Pinned extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => { this.constructions = await countConstruction(ctx); });
  }

  async fetch() {
    const [client, server] = Object.values(new WebSocketPair());
    server.accept();
    server.addEventListener('message', () => server.send(JSON.stringify({ constructions: this.constructions })));
    return new Response(null, { status: 101, webSocket: client });
  }
}

export default {
  fetch(request, env) {
    const url = new URL(request.url);
    const namespace = url.pathname.startsWith('/pinned') ? env.PINNED : env.ROOMS;
    return namespace.getByName(url.searchParams.get('room') ?? 'main').fetch(request);
  },
};
`;

/** Polls `read` until `done` says so, or fails after `ms`. */
export async function waitUntil<T>(read: () => Promise<T>, done: (value: T) => boolean, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
