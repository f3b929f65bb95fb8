// How admin commands show the server's records to people: aligned tables, traffic splits, sizes.
import type { DeploymentSummary, Sticky } from './admin-responses.js';

/** Columns padded to their widest cell, lines without trailing spaces. */
export function formatTable(header: string[], rows: string[][]): string {
  const all = [header, ...rows];
  const widths = header.map((_, column) => Math.max(...all.map((row) => (row[column] ?? '').length)));
  return all
    .map((row) => row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd())
    .join('\n') + '\n';
}

/** "version 4 30%, version 3 70%", with the sticky rule; a version without a number shows its id. */
export function formatTraffic(deployment: DeploymentSummary | null, numbers: ReadonlyMap<string, number> = new Map()): string {
  if (deployment === null) return 'no deployment';
  const parts = deployment.versions.map((v) => {
    const number = v.number ?? numbers.get(v.id);
    return `${number === undefined ? v.id : `version ${number}`} ${v.percent}%`;
  });
  const sticky = formatSticky(deployment.sticky);
  return `${parts.join(', ')}${sticky === '' ? '' : `, ${sticky}`}`;
}

export function formatSticky(sticky: Sticky): string {
  if (sticky === null) return '';
  return 'header' in sticky ? `sticky by header ${sticky.header}` : `sticky by cookie ${sticky.cookie}`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}
