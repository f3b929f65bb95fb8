// The JSON the dashboard reads: GET /api/v1/stats/series and GET /api/v1/errors. No imports, so the
// browser code compiles against the same types as the server without pulling in Node's.

/** One worker's figures per interval; every array lines up with StatsSeriesJson.t. */
export interface WorkerSeriesJson {
  /** Requests answered per second over the interval, refusals included. */
  requests: number[];
  /** Answers per second with a 5xx status or a platform failure (429 rate limits included). */
  errors: number[];
  /** Latency percentiles in ms over the interval's requests the worker ran; null without any. */
  p50Ms: (number | null)[];
  p95Ms: (number | null)[];
  p99Ms: (number | null)[];
  /** Cold starts in the interval. */
  coldStarts: number[];
  /** CPU ms the worker used in the interval. */
  cpuMs: number[];
  /** V8 heap of the worker's resident isolates at the end of the interval; null when not measured. */
  heapBytes: (number | null)[];
  /** What the interval's usage costs under the server's [cost] prices. */
  cost: number[];
}

export interface StatsSeriesJson {
  intervalMs: number;
  /** How many intervals are kept (the window is intervalMs * capacity). */
  capacity: number;
  /** End of each interval, ms since the epoch, oldest first. */
  t: number[];
  /** All workers together. */
  total: WorkerSeriesJson;
  workers: Record<string, WorkerSeriesJson>;
  /** Resident set size of all engine processes together; null when not measured. */
  engineRssBytes: (number | null)[];
}

export interface ErrorLogLine {
  /** ms since the epoch, when the host received the line. */
  time: number;
  /** console level (debug, info, log, warn, error), or "platform" for what the runtime reported. */
  level: string;
  message: string;
}

export interface RecentErrorJson {
  time: number;
  worker: string;
  version: number;
  method: string;
  host: string;
  /** Without the query string, which carries tokens and ids, as in the request log. */
  path: string;
  status: number;
  /** The platform's failure kind (exception, cpu_limit ...), or null for a 5xx the worker built. */
  failure: string | null;
  durationMs: number;
  traceId: string;
  /** The request's console lines and runtime errors, in the order they arrived. */
  logs: ErrorLogLine[];
}

export interface RecentErrorsJson {
  errors: RecentErrorJson[];
}
