// Warm hello-world throughput, servers measured in alternation so that the machine's drifting
// background load falls on each of them alike; medians over rounds are what gets reported.
import { runLoad, type Generator, type LoadOptions, type LoadResult } from './load.js';
import { median } from './stats.js';
import { startTarget, type TargetName } from './targets.js';

export interface ThroughputOptions extends LoadOptions {
  generator: Generator;
  rounds: number;
  warmupS: number;
  targets: TargetName[];
  log: (line: string) => void;
}

export interface TargetThroughput {
  runs: LoadResult[];
  rps: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
}

export async function measureThroughput(options: ThroughputOptions): Promise<Partial<Record<TargetName, TargetThroughput>>> {
  const runs = new Map<TargetName, LoadResult[]>(options.targets.map((t) => [t, []]));
  for (let round = 0; round < options.rounds; round++) {
    // Rotating the order keeps any one target from always following the same neighbour.
    const order = options.targets.map((_, i) => options.targets[(i + round) % options.targets.length]!);
    for (const name of order) {
      const server = await startTarget(name);
      try {
        await runLoad(options.generator, server.url, { ...options, durationS: options.warmupS });
        const result = await runLoad(options.generator, server.url, options);
        runs.get(name)!.push(result);
        options.log(`  round ${round + 1}/${options.rounds} ${name.padEnd(7)} ${result.rps.toFixed(0).padStart(7)} req/s  p50 ${result.p50Ms.toFixed(2)} ms  p99 ${result.p99Ms.toFixed(2)} ms${result.errors ? `  errors ${result.errors}` : ''}`);
      } finally {
        await server.stop();
      }
    }
  }
  const out: Partial<Record<TargetName, TargetThroughput>> = {};
  for (const [name, results] of runs) {
    out[name] = {
      runs: results,
      rps: median(results.map((r) => r.rps)),
      p50Ms: median(results.map((r) => r.p50Ms)),
      p99Ms: median(results.map((r) => r.p99Ms)),
      errors: results.reduce((a, r) => a + r.errors, 0),
    };
  }
  return out;
}
