// A host in a process of its own, for measuring its memory: Islet in one process, or `islet serve`
// with one engine (`serve` as argv[2]), serving the streaming worker. It sends its URL over IPC, samples
// its resident set (and its engines') every 20 ms, and on 'report' sends the baseline and the peak.
import { STREAMING_WORKER } from './streaming-worker.js';
import { startTestServe } from './serve.js';
import { startWorker } from './worker-server.js';

const serve = process.argv[2] === 'serve';
let engineRss = async (): Promise<number> => 0;
let url: string;
let close: () => Promise<void>;
if (serve) {
  const running = await startTestServe({ engines: 1 });
  const deployed = await running.deploy('stream', STREAMING_WORKER, { config: { limits: { cpuMs: 30_000 } } });
  if (deployed.status !== 201) throw new Error(`deploy failed: ${JSON.stringify(deployed.json)}`);
  engineRss = async () => (await running.running.platform.supervisor.stats()).reduce((sum, engine) => sum + engine.rssBytes, 0);
  url = `${running.url}/stream`;
  close = () => running.close();
} else {
  const server = await startWorker(STREAMING_WORKER, { limits: { cpuMs: 30_000 } });
  url = server.url;
  close = () => server.close();
}
// A warm-up request, so the baseline includes a booted isolate and its stream machinery.
await (await fetch(`${url}/big?chunks=16`)).arrayBuffer();
global.gc?.();
const baseline = process.memoryUsage().rss + await engineRss();
let peak = baseline;
let sampling = false;
const timer = setInterval(() => {
  if (sampling) return;
  sampling = true;
  void engineRss().then((engines) => {
    peak = Math.max(peak, process.memoryUsage().rss + engines);
    sampling = false;
  });
}, 20);
process.on('message', (message) => {
  if (message !== 'report') return;
  clearInterval(timer);
  process.send!({ baseline, peak }, () => void close().then(() => process.exit(0)));
});
process.send!({ url });
