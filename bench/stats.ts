// Percentiles by nearest rank: with a few hundred samples there is nothing to interpolate honestly.

export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export function median(samples: readonly number[]): number {
  return percentile(samples, 50);
}

export interface Summary { n: number; p50: number; p99: number; mean: number; max: number }

export function summarize(samples: readonly number[]): Summary {
  const total = samples.reduce((a, b) => a + b, 0);
  return {
    n: samples.length,
    p50: percentile(samples, 50),
    p99: percentile(samples, 99),
    mean: samples.length === 0 ? Number.NaN : total / samples.length,
    max: samples.length === 0 ? Number.NaN : Math.max(...samples),
  };
}
