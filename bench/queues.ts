// Queues: messages/s through one queue under islet serve (2 engines), produced by one worker and
// consumed by another in batches of 100, end to end (send() resolved and stored, batch delivered,
// consumer's queue() returned, messages acked). Two producers: sendBatch() of 100 per request, and
// 100 single send() calls per request.
//   node --no-node-snapshot --import tsx bench/queues.ts [--messages N] [--concurrency C]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { MemoryLogSink } from '../src/host/observability/log-sink.js';
import { defaultServeConfig } from '../src/host/platform/serve-config.js';
import { startServe } from '../src/host/server/serve-servers.js';

const { values } = parseArgs({ options: { messages: { type: 'string', default: '20000' }, concurrency: { type: 'string', default: '8' } } });
const total = Number(values.messages);
const concurrency = Number(values.concurrency);
const TOKEN = 'bench-admin-token-0123456789';

const PRODUCER = `export default { async fetch(request, env) {
  const single = new URL(request.url).pathname.endsWith('/single');
  if (single) { for (let i = 0; i < 100; i++) await env.Q.send({ i, pad: 'x'.repeat(64) }); }
  else await env.Q.sendBatch(Array.from({ length: 100 }, (_, i) => ({ body: { i, pad: 'x'.repeat(64) } })));
  return new Response('ok');
} }`;
const CONSUMER = `export default { async queue(batch) { console.log('n ' + batch.messages.length); } }`;

async function run(mode: 'batch' | 'single'): Promise<{ mode: string; produceMs: number; totalMs: number; producedPerS: number; deliveredPerS: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'islet-bench-queues-'));
  const logs = new MemoryLogSink();
  const config = { ...defaultServeConfig(dir), dataDir: dir, port: 0, adminPort: 0, adminToken: TOKEN, engines: 2, shutdownGraceMs: 2_000 };
  config.limits = { ...config.limits, cpuMs: 5_000 };
  const serve = await startServe(config, logs, (err) => { throw err; });
  try {
    const deploy = async (name: string, code: string, queues: unknown) => {
      const res = await fetch(`${serve.adminUrl}/api/v1/workers/${name}`, {
        method: 'PUT', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ code, tenant: 'bench', config: { queues } }),
      });
      if (res.status !== 201) throw new Error(`deploy ${name}: ${res.status} ${await res.text()}`);
    };
    await deploy('consumer', CONSUMER, { consumers: [{ queue: 'q', maxBatchSize: 100, maxBatchTimeoutMs: 1000 }] });
    await deploy('producer', PRODUCER, { producers: [{ binding: 'Q', queue: 'q' }] });
    const delivered = () => logs.lines.reduce((n, l) => n + (l.worker === 'consumer' && l.message.startsWith('n ') ? Number(l.message.slice(2)) : 0), 0);
    const requests = Math.ceil(total / 100);
    let next = 0;
    const started = performance.now();
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (next < requests) {
        next++;
        const res = await fetch(`${serve.tenantUrl}/producer/${mode}`);
        if (res.status !== 200) throw new Error(`produce: ${res.status} ${await res.text()}`);
      }
    }));
    const produceMs = performance.now() - started;
    while (delivered() < requests * 100) await new Promise((r) => setTimeout(r, 5));
    const totalMs = performance.now() - started;
    return { mode, produceMs, totalMs, producedPerS: (requests * 100) / (produceMs / 1000), deliveredPerS: (requests * 100) / (totalMs / 1000) };
  } finally {
    await serve.close(1_000);
    rmSync(dir, { recursive: true, force: true });
  }
}

const results = [await run('batch'), await run('single')];
for (const r of results) {
  console.log(`${r.mode.padEnd(6)} ${total} messages: produced in ${r.produceMs.toFixed(0)} ms (${r.producedPerS.toFixed(0)} msg/s), all consumed after ${r.totalMs.toFixed(0)} ms (${r.deliveredPerS.toFixed(0)} msg/s end to end)`);
}
console.log(JSON.stringify({ bench: 'queues', total, concurrency, results }));
