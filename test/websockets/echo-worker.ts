// The echo worker the WebSocket tests run, in one process and under islet serve alike. Text comes back
// as "echo:<text>", bytes as they came; a few commands make the worker close or misuse its socket, and
// GET /events answers what the worker's socket saw (close events, exceptions), for the test to check.
export const ECHO_WORKER = `
const events = [];
export default {
  async fetch(request) {
    if (new URL(request.url).pathname.endsWith('/events')) return Response.json(events);
    if (new URL(request.url).pathname.endsWith('/deny')) return new Response('Not for you', { status: 403 });
    if (request.headers.get('upgrade') !== 'websocket') return new Response('Expected a WebSocket upgrade', { status: 426 });
    const [client, server] = Object.values(new WebSocketPair());
    server.accept();
    // Sent before the response: the client must still get it first.
    server.send('hello');
    server.addEventListener('message', (event) => {
      const data = event.data;
      if (typeof data !== 'string') { server.send(data); events.push({ binary: data instanceof ArrayBuffer, size: data.byteLength }); return; }
      if (data.startsWith('close:')) {
        const [, code, reason] = data.split(':');
        server.close(Number(code), reason);
        return;
      }
      if (data.startsWith('badclose:')) {
        try { server.close(Number(data.slice('badclose:'.length))); server.send('closed anyway'); }
        catch (err) { server.send('threw:' + err.name + ':' + (err instanceof DOMException) + ':' + err.code); }
        return;
      }
      if (data === 'longreason') {
        try { server.close(1000, 'x'.repeat(124)); } catch (err) { server.send('threw:' + err.name + ':' + (err instanceof DOMException)); }
        return;
      }
      if (data === 'spin') { for (;;) {} }
      if (data.startsWith('burn:')) {
        const end = Date.now() + Number(data.slice('burn:'.length));
        while (Date.now() < end) {}
        server.send('burnt');
        return;
      }
      if (data === 'flood') {
        const chunk = new Uint8Array(1024 * 1024);
        try { for (let i = 0; i < 32; i++) server.send(chunk); } catch (err) { server.send('threw:' + err.message); }
        return;
      }
      if (data === 'state') { server.send('state:' + server.readyState + ':' + WebSocket.OPEN); return; }
      server.send('echo:' + data);
    });
    server.addEventListener('close', (event) => {
      events.push({ close: event.code, reason: event.reason, wasClean: event.wasClean, readyState: server.readyState, isCloseEvent: event instanceof CloseEvent });
    });
    return new Response(null, { status: 101, webSocket: client, headers: { 'x-echo': 'yes' } });
  },
};
`;
