// The `streams` section: what the isolate boundary costs for data-heavy work, against the same work in
// bare Node measured side by side in a fresh process (bench/probes/streams-probe.ts). Medians, and the
// ratio Islet / Node (throughput: higher is better; times: lower is better).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lastJsonLine, runChild } from './child.js';
import { median } from './stats.js';
import { NODE_FLAGS } from './targets.js';

const here = dirname(fileURLToPath(import.meta.url));

interface SideBySide { isletMs: number[]; nodeMs: number[] }
interface ProbeOutput { streamMb: number; pipe: SideBySide; digest: SideBySide; emptyRequestMs: number[]; subrequest: SideBySide }

export interface Compared { islet: number; node: number; ratio: number; samples: number }

export interface StreamsResult {
  streamMb: number;
  /** MB/s (MiB per second) through a TransformStream; ratio = Islet / Node. */
  throughputMbps: Compared;
  /** ms per crypto.subtle.digest('SHA-256') of 1 MiB (Islet: a request doing one); ratio = Islet / Node. */
  digestMs: Compared;
  /** ms per subrequest round trip to a local node:http server (Islet: a request doing one); ratio = Islet / Node. */
  subrequestMs: Compared;
  /** ms of an in-host request doing nothing, the dispatch cost inside the two Islet timings above. */
  emptyRequestMs: number;
}

const compare = (s: SideBySide, map: (ms: number) => number = (ms) => ms): Compared => {
  const islet = median(s.isletMs.map(map));
  const node = median(s.nodeMs.map(map));
  return { islet, node, ratio: islet / node, samples: s.isletMs.length };
};

export async function measureStreams(options: { streamMb: number; rounds: number; samples: number }): Promise<StreamsResult> {
  const script = join(here, 'probes', 'streams-probe.ts');
  const stdout = await runChild(process.execPath, [...NODE_FLAGS, script], 600_000, {
    STREAM_MB: String(options.streamMb), STREAM_ROUNDS: String(options.rounds), SAMPLES: String(options.samples),
  });
  const out = lastJsonLine<ProbeOutput>(stdout);
  return {
    streamMb: out.streamMb,
    throughputMbps: compare(out.pipe, (ms) => out.streamMb / (ms / 1000)),
    digestMs: compare(out.digest),
    subrequestMs: compare(out.subrequest),
    emptyRequestMs: median(out.emptyRequestMs),
  };
}

const f = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : '-');

export function renderStreams(r: StreamsResult): string {
  const rows = [
    ['measure', 'islet', 'node', 'islet/node', 'samples'],
    [`${r.streamMb} MiB through a TransformStream, MB/s`, f(r.throughputMbps.islet, 0), f(r.throughputMbps.node, 0), `${f(r.throughputMbps.ratio)}x`, String(r.throughputMbps.samples)],
    ["crypto.subtle.digest('SHA-256', 1 MiB), ms", f(r.digestMs.islet, 3), f(r.digestMs.node, 3), `${f(r.digestMs.ratio)}x`, String(r.digestMs.samples)],
    ['subrequest round trip to local node:http, ms', f(r.subrequestMs.islet, 3), f(r.subrequestMs.node, 3), `${f(r.subrequestMs.ratio)}x`, String(r.subrequestMs.samples)],
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const lines = rows.map((row) => '  ' + row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('   '));
  return [
    '',
    'Streams, crypto and subrequests inside a worker vs bare Node (medians, measured side by side; MB = MiB)',
    ...lines,
    '  The stream carries the same 64 KiB chunk object each time: this is the streams machinery per chunk, with no copying.',
    `  Islet timings are in-host requests, each including one dispatch (an empty request: ${f(r.emptyRequestMs, 3)} ms).`,
  ].join('\n');
}
