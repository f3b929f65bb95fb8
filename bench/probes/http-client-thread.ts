// The cold-start probe's HTTP client, on a thread of its own so that host work the server schedules
// after answering (refilling spares, GC) is not counted as the client waiting.
import { parentPort } from 'node:worker_threads';

async function timed(url: string): Promise<number> {
  const started = performance.now();
  const response = await fetch(url);
  await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`${url} answered ${response.status}`);
  return performance.now() - started;
}

parentPort!.on('message', (url: string) => {
  timed(url).then(
    (ms) => parentPort!.postMessage({ ms }),
    (err: unknown) => parentPort!.postMessage({ error: String(err) }),
  );
});
