// WebSocket figures: echo round trips per second through a worker (one client, one message in flight),
// and messages per second a chat-room Durable Object relays from one sender to N receivers, under
// islet dev's front door (one process) and, for echo, islet serve (the worker in an engine process).
// A bare `ws` echo server in this same process is the baseline the ratios are taken against.
//   node --no-node-snapshot --import tsx bench/websockets.ts   (after node scripts/build.mjs)
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { WebSocketServer } from 'ws';
import { bundleWorker } from '../src/host/workers/bundle-worker.js';
import { readWorkerConfig } from '../src/host/workers/read-wrangler-config.js';
import { startTestServe } from '../test/helpers/serve.js';
import { startWorker } from '../test/helpers/worker-server.js';
import { connect, wsUrl } from '../test/websockets/ws-client.js';

const ECHO = `export default { fetch(request) {
  const [client, server] = Object.values(new WebSocketPair());
  server.accept();
  server.addEventListener('message', (event) => server.send(event.data));
  return new Response(null, { status: 101, webSocket: client });
} };`;

const ROUND_TRIPS = Number(process.env.WS_BENCH_ROUND_TRIPS ?? 5_000);
const RELAYED = Number(process.env.WS_BENCH_RELAYED ?? 2_000);
const RECEIVERS = [1, 10, 50];

async function echoRate(url: string): Promise<number> {
  const socket = await connect(url);
  for (let i = 0; i < 200; i++) { socket.ws.send('warm'); await socket.next(); }
  const started = performance.now();
  for (let i = 0; i < ROUND_TRIPS; i++) { socket.ws.send('ping'); await socket.next(); }
  const seconds = (performance.now() - started) / 1000;
  socket.ws.close(1000);
  await socket.closed;
  return ROUND_TRIPS / seconds;
}

async function bareEcho(): Promise<number> {
  const server = createServer();
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  try {
    return await echoRate(`ws://127.0.0.1:${port}/`);
  } finally {
    wss.close();
    server.close();
  }
}

/** One sender, `receivers` other clients: messages each receiver gets per second, and deliveries per second in all. */
async function relayRate(baseUrl: string, room: string, receivers: number): Promise<{ perReceiver: number; deliveries: number }> {
  const listeners = await Promise.all(Array.from({ length: receivers }, (_, i) => connect(wsUrl(baseUrl, `/room/${room}?name=r${i}`))));
  const sender = await connect(wsUrl(baseUrl, `/room/${room}?name=sender`));
  const started = performance.now();
  const done = Promise.all(listeners.map(async (listener) => { for (let i = 0; i < RELAYED; i++) await listener.next(); }));
  for (let i = 0; i < RELAYED; i++) sender.ws.send(`m${i}`);
  await done;
  const seconds = (performance.now() - started) / 1000;
  for (const socket of [...listeners, sender]) socket.ws.close(1000);
  await Promise.all([...listeners, sender].map((socket) => socket.closed));
  return { perReceiver: RELAYED / seconds, deliveries: (RELAYED * (receivers + 1)) / seconds };
}

const round = (n: number) => Math.round(n).toLocaleString('en-US');

const baseline = await bareEcho();
console.log(`echo round trips/s   bare ws server: ${round(baseline)}`);

const dev = await startWorker(ECHO);
try {
  const rate = await echoRate(wsUrl(dev.url, '/'));
  console.log(`echo round trips/s   islet dev:      ${round(rate)}  (${(rate / baseline).toFixed(2)}x bare ws)`);
} finally {
  await dev.close();
}

const serve = await startTestServe();
try {
  await serve.deploy('echo', ECHO);
  const rate = await echoRate(wsUrl(serve.url, '/echo/'));
  console.log(`echo round trips/s   islet serve:    ${round(rate)}  (${(rate / baseline).toFixed(2)}x bare ws)`);
} finally {
  await serve.close();
}

const example = fileURLToPath(new URL('../examples/chat-room/', import.meta.url));
const chat = await startWorker((await bundleWorker(readWorkerConfig({ cwd: example }))).code, {
  durableObjects: [{ binding: 'ROOMS', className: 'ChatRoom' }], limits: { cpuMs: 1_000 },
});
try {
  for (const receivers of RECEIVERS) {
    const { perReceiver, deliveries } = await relayRate(chat.url, `bench-${receivers}`, receivers);
    console.log(`chat relay, 1 sender -> ${receivers} receivers (+ the sender's echo): ${round(perReceiver)} messages/s each, ${round(deliveries)} deliveries/s`);
  }
} finally {
  await chat.close();
}
