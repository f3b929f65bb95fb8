// `npm run conformance`: runs the public conformance data (test/fixtures/conformance, see its
// PROVENANCE.md) inside a real Islet isolate, prints how many checks pass per API area and writes
// every failure to conformance/results/latest.json. docs/conformance.md explains the known failures.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Islet } from '../src/host/islet.js';
import { MemoryLogSink } from '../src/host/observability/log-sink.js';
import { ISOLATE_RUNNER } from './isolate-runner.js';

export interface AreaResult { area: string; data: string; passed: number; total: number; failures: unknown[] }

/** Each area: its label, the runner function inside the isolate, and the data file it reads. */
export const AREAS = [
  { area: 'URL parsing', runner: 'parsing', data: 'urltestdata.json' },
  { area: 'URL parsing (JS-only)', runner: 'parsing', data: 'urltestdata-javascript-only.json' },
  { area: 'URL setters', runner: 'setters', data: 'setters_tests.json' },
  { area: 'Host ToASCII', runner: 'toascii', data: 'toascii.json' },
  { area: 'Percent-encoding (UTF-8)', runner: 'percentEncoding', data: 'percent-encoding.json' },
  { area: 'IDNA (UTS #46)', runner: 'idna', data: 'IdnaTestV2.json' },
  { area: 'TextDecoder labels', runner: 'labels', data: 'encodings.json' },
] as const;

const fixtures = new URL('../test/fixtures/conformance/', import.meta.url);

/** Runs the named areas (all by default) in one isolate of a throwaway Islet. */
export async function runConformance(names: readonly string[] = AREAS.map((a) => a.area)): Promise<AreaResult[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'islet-conformance-'));
  const logs = new MemoryLogSink();
  const islet = new Islet({ dataDir, log: logs, spareIsolates: 0 });
  const worker = islet.createWorker({ name: 'conformance', code: ISOLATE_RUNNER, limits: { cpuMs: 30_000, wallMs: 60_000 } });
  try {
    const results: AreaResult[] = [];
    for (const { area, runner, data } of AREAS.filter((a) => names.includes(a.area))) {
      const body = readFileSync(new URL(data, fixtures));
      const response = await worker.fetch({
        method: 'POST', url: `http://conformance/${runner}`, headers: 'content-type:application/json',
        body: body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer, traceId: runner,
      });
      const text = String(response.body);
      if (response.status !== 200) throw new Error(`${area}: worker answered ${response.status}: ${text}\n${logs.lines.map((l) => l.message).join('\n')}`);
      const { total, failures } = JSON.parse(text) as { total: number; failures: unknown[] };
      results.push({ area, data, passed: total - failures.length, total, failures });
    }
    return results;
  } finally {
    worker.dispose();
    islet.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const started = performance.now();
  const results = await runConformance();
  const width = Math.max(...results.map((r) => r.area.length));
  for (const r of results) {
    const pct = r.total === 0 ? 'n/a' : `${((r.passed / r.total) * 100).toFixed(2)}%`;
    console.log(`${r.area.padEnd(width)}  ${String(r.passed).padStart(5)} / ${String(r.total).padEnd(5)} ${pct.padStart(7)}  (${r.data})`);
  }
  const out = new URL('results/', import.meta.url);
  mkdirSync(out, { recursive: true });
  const report = {
    generatedAt: new Date().toISOString(),
    node: process.version,
    areas: results.map(({ area, data, passed, total, failures }) => ({ area, data, passed, total, failures })),
  };
  writeFileSync(new URL('latest.json', out), JSON.stringify(report, null, 2) + '\n');
  console.log(`\nreport: conformance/results/latest.json (${((performance.now() - started) / 1000).toFixed(1)}s)`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
