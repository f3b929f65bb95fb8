// One load generator for every target: wrk when installed, else autocannon in its own process, so the
// generator never shares an event loop with anything it measures.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lastJsonLine, runChild } from './child.js';

const here = dirname(fileURLToPath(import.meta.url));

export interface LoadOptions {
  connections: number;
  durationS: number;
  /** wrk threads; the box has 2 cores and the server needs one of them. */
  threads: number;
}

export interface LoadResult {
  rps: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  requests: number;
  /** Connect/read/write errors, timeouts and non-2xx answers together. */
  errors: number;
}

export type Generator = 'wrk' | 'autocannon';

export function pickGenerator(): Generator {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
    return 'wrk';
  } catch (err) {
    // wrk prints its version and exits 1; only "not found" means it is missing.
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'autocannon' : 'wrk';
  }
}

interface WrkReport {
  requests: number; durationUs: number; connectErrors: number; readErrors: number; writeErrors: number;
  statusErrors: number; timeouts: number; p50Us: number; p90Us: number; p99Us: number;
}

async function runWrk(url: string, options: LoadOptions): Promise<LoadResult> {
  const args = ['-t', String(options.threads), '-c', String(options.connections), '-d', `${options.durationS}s`,
    '--timeout', '5s', '-s', join(here, 'wrk-report.lua'), url];
  const report = lastJsonLine<WrkReport>(await runChild('wrk', args, (options.durationS + 30) * 1000));
  return {
    rps: report.requests / (report.durationUs / 1e6),
    p50Ms: report.p50Us / 1000,
    p90Ms: report.p90Us / 1000,
    p99Ms: report.p99Us / 1000,
    requests: report.requests,
    errors: report.connectErrors + report.readErrors + report.writeErrors + report.statusErrors + report.timeouts,
  };
}

interface AutocannonReport {
  requests: { total: number; average: number };
  latency: { p50: number; p90: number; p99: number };
  errors: number; timeouts: number; non2xx: number;
}

async function runAutocannon(url: string, options: LoadOptions): Promise<LoadResult> {
  const cli = join(dirname(createRequire(import.meta.url).resolve('autocannon/package.json')), 'autocannon.js');
  const args = [cli, '--json', '-c', String(options.connections), '-d', String(options.durationS), url];
  const report = lastJsonLine<AutocannonReport>(await runChild(process.execPath, args, (options.durationS + 30) * 1000));
  return {
    rps: report.requests.average,
    p50Ms: report.latency.p50,
    p90Ms: report.latency.p90,
    p99Ms: report.latency.p99,
    requests: report.requests.total,
    errors: report.errors + report.timeouts + report.non2xx,
  };
}

export function runLoad(generator: Generator, url: string, options: LoadOptions): Promise<LoadResult> {
  return generator === 'wrk' ? runWrk(url, options) : runAutocannon(url, options);
}
