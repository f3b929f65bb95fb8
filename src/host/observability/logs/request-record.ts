// The fields a finished request is logged and tailed with, built once from what the platform reports.
// The query string is left out: it carries tokens and ids that do not belong in a log.
import type { FailureKind, RequestOutcome } from '../platform-observer.js';

export interface RequestRecord {
  type: 'request';
  /** When the response's head was ready (ISO 8601). */
  time: string;
  worker: string;
  version: number;
  method: string;
  host: string;
  path: string;
  status: number;
  durationMs: number;
  cpuMs: number;
  /** The request waited for its worker's isolate to be created. */
  cold: boolean;
  traceId: string;
  /** `ok`, or why the platform answered with an error (platform-observer.ts). */
  outcome: 'ok' | FailureKind;
}

let lastMs = 0;
let lastIso = '';
/** The time as ISO 8601, formatted once per millisecond however many lines share it. */
export function isoTime(ms: number = Date.now()): string {
  if (ms !== lastMs) {
    lastMs = ms;
    lastIso = new Date(ms).toISOString();
  }
  return lastIso;
}

/** Thousandths of a millisecond are below what the clocks involved can tell apart. */
export function roundMs(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/** Host and path (without the query) of the absolute URL the worker saw. */
export function hostAndPath(url: string): { host: string; path: string } {
  const start = url.indexOf('//') + 2;
  const slash = url.indexOf('/', start);
  if (start < 2 || slash === -1) return { host: '', path: url };
  const query = url.indexOf('?', slash);
  const hash = url.indexOf('#', slash);
  const end = query === -1 ? (hash === -1 ? url.length : hash) : query;
  return { host: url.slice(start, slash), path: url.slice(slash, end) };
}

export function requestRecord(outcome: RequestOutcome, time: string = isoTime()): RequestRecord {
  const { host, path } = hostAndPath(outcome.url);
  return {
    type: 'request',
    time,
    worker: outcome.worker,
    version: outcome.version,
    method: outcome.method,
    host,
    path,
    status: outcome.status,
    durationMs: roundMs(outcome.durationMs),
    cpuMs: roundMs(outcome.cpuMs),
    cold: outcome.coldStartMs >= 0,
    traceId: outcome.traceId,
    outcome: outcome.failure ?? 'ok',
  };
}
