// A worker whose every answer names its version, with a Durable Object holding a WebSocket accepted
// with accept() (the object stays active while it is open) and one holding a hibernatable one. Shared
// by the code update tests under islet serve and islet dev.
export const CODE_UPDATE_BINDINGS = [
  { binding: 'PLAIN', className: 'Plain' },
  { binding: 'HIB', className: 'Hib' },
];

/** `version` marks every response and message, so a test can tell which code answered. */
export function codeUpdateWorker(version: string): string {
  return `
import { DurableObject } from 'cloudflare:workers';
const VERSION = ${JSON.stringify(version)};

export class Plain extends DurableObject {
  fetch(request) {
    if (request.headers.get('upgrade') !== 'websocket') return new Response(VERSION);
    const [client, server] = Object.values(new WebSocketPair());
    server.accept();
    server.addEventListener('message', (event) => server.send(VERSION + ' ' + event.data));
    return new Response(null, { status: 101, webSocket: client });
  }
}

export class Hib extends DurableObject {
  fetch(request) {
    if (request.headers.get('upgrade') !== 'websocket') return new Response(VERSION);
    const [client, server] = Object.values(new WebSocketPair());
    this.ctx.acceptWebSocket(server);
    return new Response(null, { status: 101, webSocket: client });
  }
  webSocketMessage(ws, message) { ws.send(VERSION + ' ' + message); }
}

export default {
  fetch(request, env) {
    // /<prefix...>/<plain|hib>/<object name>
    const parts = new URL(request.url).pathname.split('/');
    const name = parts.pop();
    const kind = parts.pop();
    if (kind === 'version') return new Response(VERSION);
    return (kind === 'hib' ? env.HIB : env.PLAIN).getByName(name).fetch(request);
  },
};
`;
}
