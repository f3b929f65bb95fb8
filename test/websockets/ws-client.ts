// A WebSocket client for the tests: the `ws` package against a real server, with the messages and the
// close it receives as promises, so a test reads as the conversation it checks.
import WebSocket, { type RawData } from 'ws';

export interface Received { text: string | null; bytes: Buffer | null }
export interface Closed { code: number; reason: string }

export interface TestSocket {
  ws: WebSocket;
  /** The next message, in the order they arrived. */
  next(): Promise<Received>;
  /** The next `n` messages as text. */
  texts(n: number): Promise<string[]>;
  closed: Promise<Closed>;
}

export function connect(url: string, options: WebSocket.ClientOptions = {}): Promise<TestSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { maxPayload: 64 * 1024 * 1024, ...options });
    const queue: Received[] = [];
    const waiting: ((message: Received) => void)[] = [];
    ws.on('message', (data: RawData, isBinary: boolean) => {
      const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
      const message = isBinary ? { text: null, bytes } : { text: bytes.toString('utf8'), bytes: null };
      const waiter = waiting.shift();
      if (waiter !== undefined) waiter(message);
      else queue.push(message);
    });
    const closed = new Promise<Closed>((done) => ws.on('close', (code, reason) => done({ code, reason: reason.toString('utf8') })));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`unexpected response ${res.statusCode}`)));
    ws.once('error', reject);
    ws.once('open', () => {
      ws.off('error', reject);
      // Errors after the handshake (a 1009 from the server) show up as the close.
      ws.on('error', () => {});
      const next = (): Promise<Received> => {
        const message = queue.shift();
        if (message !== undefined) return Promise.resolve(message);
        return new Promise((done) => waiting.push(done));
      };
      resolve({
        ws, next, closed,
        texts: async (n) => {
          const out: string[] = [];
          for (let i = 0; i < n; i++) out.push((await next()).text ?? '<binary>');
          return out;
        },
      });
    });
  });
}

export function wsUrl(httpUrl: string, path: string): string {
  return httpUrl.replace(/^http/, 'ws') + path;
}
