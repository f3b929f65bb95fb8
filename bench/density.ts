// Density: many distinct tenants' workers deployed to one real `islet serve` (engine processes and all)
// and hit round-robin. Reports deploy-to-first-response, latency percentiles over the rotation, the
// resident isolates, and the RSS of the server with its engines; then, with many more workers than the
// resident cap, shows eviction keeping memory bounded while every worker still answers.
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { freePort, startChild, stopChild, waitForPort } from './child.js';
import { summarize, type Summary } from './stats.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const TOKEN = 'density-bench-token-0123456789';

export interface DensityPhase {
  workers: number;
  residentCapPerEngine: number;
  engines: number;
  deployMsPerWorker: number;
  /** Latency of round-robin requests once every worker has been hit once. */
  latencyMs: Summary;
  /** Resident isolates reported by the engines after the rotation. */
  resident: number;
  rssMb: number;
  rssPerWorkerMb: number;
  errors: number;
}

export interface DensityResult {
  deployToFirstResponseMs: Summary;
  phases: DensityPhase[];
}

/** RSS of a process and all its descendants, from /proc. */
function treeRssMb(pid: number): number {
  let kb = 0;
  const visit = (p: number) => {
    try {
      const status = readFileSync(`/proc/${p}/status`, 'utf8');
      kb += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      for (const task of readdirSync(`/proc/${p}/task`)) {
        const children = readFileSync(`/proc/${p}/task/${task}/children`, 'utf8').trim();
        for (const child of children.split(/\s+/).filter(Boolean)) visit(Number(child));
      }
    } catch { /* exited meanwhile */ }
  };
  visit(pid);
  return kb / 1024;
}

const worker = (i: number) => `export default { fetch(request) { return new Response('tenant ${i}'); } }`;

async function inBatches<T>(count: number, parallel: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  await Promise.all(Array.from({ length: parallel }, async () => {
    while (next < count) {
      const i = next++;
      results[i] = await task(i);
    }
  }));
  return results;
}

async function runPhase(workers: number, capPerEngine: number, engines: number, log: (line: string) => void, firstResponses: number[] | null): Promise<DensityPhase> {
  const dataDir = mkdtempSync(join(tmpdir(), 'islet-density-'));
  const configFile = join(dataDir, 'serve.toml');
  writeFileSync(configFile, `engines = ${engines}\n[pool]\nmax_resident = ${capPerEngine}\nmax_resident_mb = 65536\n`);
  const [port, adminPort] = [await freePort(), await freePort()];
  const child = startChild(join(ROOT, 'bin', 'islet'), ['serve', '--config', configFile, '--port', String(port), '--admin-port', String(adminPort), '--data', join(dataDir, 'data')], { ISLET_ADMIN_TOKEN: TOKEN });
  const agent = new Agent({ connections: 32, pipelining: 1 });
  try {
    await waitForPort(port, child);
    await waitForPort(adminPort, child);
    const admin = `http://127.0.0.1:${adminPort}/api/v1`;
    const tenant = `http://127.0.0.1:${port}`;
    const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
    const get = async (i: number): Promise<number> => {
      const started = performance.now();
      const res = await request(`${tenant}/t${i}/`, { dispatcher: agent });
      const body = await res.body.text();
      if (res.statusCode !== 200 || body !== `tenant ${i}`) throw new Error(`t${i}: ${res.statusCode} ${body}`);
      return performance.now() - started;
    };
    const deployStarted = performance.now();
    await inBatches(workers, 4, async (i) => {
      const started = performance.now();
      const res = await request(`${admin}/workers/t${i}`, { method: 'PUT', headers, body: JSON.stringify({ code: worker(i) }), dispatcher: agent });
      const text = await res.body.text();
      if (res.statusCode !== 201) throw new Error(`deploy t${i}: ${res.statusCode} ${text}`);
      if (firstResponses !== null && i < 50) {
        await get(i);
        firstResponses.push(performance.now() - started);
      }
      if ((i + 1) % 1000 === 0) log(`  deployed ${i + 1}/${workers}`);
    });
    const deployMsPerWorker = (performance.now() - deployStarted) / workers;
    let errors = 0;
    const hit = (i: number) => get(i).catch(() => { errors++; return Number.NaN; });
    await inBatches(workers, 16, hit); // every worker once
    const samples = (await inBatches(workers * 2, 16, (k) => hit(k % workers))).filter((ms) => !Number.isNaN(ms));
    const stats = await request(`${admin}/engines`, { headers, dispatcher: agent });
    const engineList = ((await stats.body.json()) as { engines: { resident: number }[] }).engines;
    const rssMb = treeRssMb(child.pid);
    return {
      workers, residentCapPerEngine: capPerEngine, engines, deployMsPerWorker,
      latencyMs: summarize(samples),
      resident: engineList.reduce((sum, e) => sum + e.resident, 0),
      rssMb, rssPerWorkerMb: rssMb / Math.min(workers, capPerEngine * engines), errors,
    };
  } finally {
    await agent.close();
    await stopChild(child, 10_000);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function measureDensity(options: { workers: number; many: number; cap: number; engines: number; log: (line: string) => void }): Promise<DensityResult> {
  const firstResponses: number[] = [];
  options.log(`density: ${options.workers} workers, all resident, ${options.engines} engines`);
  const phases = [await runPhase(options.workers, options.workers, options.engines, options.log, firstResponses)];
  if (options.many > 0) {
    options.log(`density: ${options.many} workers, at most ${options.cap} resident per engine`);
    phases.push(await runPhase(options.many, options.cap, options.engines, options.log, null));
  }
  return { deployToFirstResponseMs: summarize(firstResponses), phases };
}

const f = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '-');

export function renderDensity(r: DensityResult): string {
  const lines = [
    '',
    'Density: distinct workers on one `islet serve`, deployed over the admin API and hit round-robin',
    `  deploy to first response: p50 ${f(r.deployToFirstResponseMs.p50)} ms, p99 ${f(r.deployToFirstResponseMs.p99)} ms (${r.deployToFirstResponseMs.n} deploys)`,
  ];
  for (const p of r.phases) {
    lines.push(`  ${p.workers} workers, ${p.engines} engines, resident cap ${p.residentCapPerEngine}/engine: ` +
      `${f(p.deployMsPerWorker)} ms per deploy; round-robin p50 ${f(p.latencyMs.p50, 2)} ms, p99 ${f(p.latencyMs.p99, 2)} ms; ` +
      `${p.resident} resident; RSS ${f(p.rssMb, 0)} MB in all (${f(p.rssPerWorkerMb, 2)} MB per resident worker); ${p.errors} errors`);
  }
  return lines.join('\n');
}
