// Cold starts measured in fresh processes, once with the host's spare isolates and once without, so
// both the cost a tenant sees and the cost of booting an isolate are on the table.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lastJsonLine, runChild } from './child.js';
import { summarize, type Summary } from './stats.js';
import { NODE_FLAGS } from './targets.js';

const here = dirname(fileURLToPath(import.meta.url));

interface ProbeOutput {
  spares: number | 'default';
  workers: number;
  host: { coldMs: number[]; firstMs: number[]; warmMs: number[]; bootMs: number[] };
  http: { coldMs: number[]; firstMs: number[]; warmMs: number[] };
}

export interface ColdStartResult {
  spares: number | 'default';
  /** Distinct workers cold-started (warm-up ones excluded). */
  workers: number;
  /** acquire + compile + evaluate + install, as ResidentWorker.onColdStart reports it. */
  coldStart: Summary;
  /** In-host: from worker.fetch() on a cold worker to its response. */
  firstResponse: Summary;
  /** In-host: the same worker's second request, so firstResponse minus this is the first dispatch's extra. */
  warmResponse: Summary;
  /** Over HTTP from a keep-alive client: a cold worker's first request, end to end. */
  httpFirst: Summary;
  /** The same worker's second request, for the HTTP floor under httpFirst. */
  httpWarm: Summary;
  /** Creating an isolate and booting the runtime in it (on the request path only without spares). */
  isolateBoot: Summary;
}

export async function measureColdStart(spares: number | 'default', perMode: number): Promise<ColdStartResult> {
  const script = join(here, 'probes', 'cold-start-probe.ts');
  const stdout = await runChild(process.execPath, [...NODE_FLAGS, script], 120_000, { SPARES: String(spares), COUNT: String(perMode) });
  const out = lastJsonLine<ProbeOutput>(stdout);
  return {
    spares: out.spares,
    workers: out.workers,
    coldStart: summarize([...out.host.coldMs, ...out.http.coldMs]),
    firstResponse: summarize(out.host.firstMs),
    warmResponse: summarize(out.host.warmMs),
    httpFirst: summarize(out.http.firstMs),
    httpWarm: summarize(out.http.warmMs),
    isolateBoot: summarize(out.host.bootMs),
  };
}
