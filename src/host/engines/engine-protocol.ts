// Messages between the supervisor and its engine processes (Node IPC, 'advanced' serialization, so
// ArrayBuffers and Buffers cross without base64). Requests and responses are flat tuples: they are
// the per-request cost; the rest are records.
import type { ServeLimits } from '../control/model.js';
import type { VarValue } from '../workers/worker-config.js';
import type { BodyMessage } from './body-channel.js';

/** Everything an engine needs to run one version. Sent once per engine lifetime, before first use. */
export interface VersionSpec {
  /** The version id; the key engines know a worker version by. */
  id: string;
  /** Worker name: log lines and error messages. */
  worker: string;
  code: string;
  filename: string;
  sourceMap: string | null;
  /** Vars and secrets together, as the worker's `env` sees them (secrets win). */
  vars: Record<string, VarValue>;
  /** Binding name -> the storage namespace (already scoped to the tenant). */
  kv: { binding: string; storeNamespace: string }[];
  limits: ServeLimits;
}

// --- supervisor -> engine ------------------------------------------------------------------------
export type ToEngine =
  /** Register (or replace) a version's spec. No isolate is created yet. */
  | { t: 'spec'; spec: VersionSpec }
  /** Create the version's isolate and evaluate its module now (deploy check, pre-warm). Answered by 'warmed'. */
  | { t: 'warm'; id: string; seq: number }
  /** Forget a version: dispose its isolate (in-flight requests get 503) and its spec. */
  | { t: 'drop'; id: string }
  /** [seq, versionId, method, url, headers, body, traceId, hops] */
  | { t: 'req'; r: EngineRequest }
  /** Ask for a 'stats' message. */
  | { t: 'stats'; seq: number }
  /** Stop: answer in-flight requests, let waitUntil work run up to `graceMs`, then exit 0. */
  | { t: 'shutdown'; graceMs: number }
  /** A streamed request body's chunks (and end or failure); credit for, or cancel of, a streamed response body. */
  | BodyMessage;

/** `body` true: the request body streams; its chunks follow as 'chunk' messages, as the engine grants credit. */
export type EngineRequest = [seq: number, versionId: string, method: string, url: string, headers: string, body: ArrayBuffer | null | true, traceId: string, hops: number];

// --- engine -> supervisor ------------------------------------------------------------------------
export type FromEngine =
  | { t: 'ready'; pid: number }
  /** [seq, status, statusText, headers, body, cpuMs, coldStartMs (-1: warm)] */
  | { t: 'res'; r: EngineResponse }
  | { t: 'warmed'; seq: number; id: string; ok: boolean; error: string | null; ms: number }
  | { t: 'stats'; seq: number; stats: EngineStats }
  /** A tenant's console line or a platform error about a worker (the supervisor owns the log). */
  | { t: 'log'; worker: string; traceId: string | null; level: number | 'platform'; message: string }
  /** After 'shutdown': every request is answered and nothing follows; the engine exits next. */
  | { t: 'drained' }
  /** A streamed response body's chunks (and end or failure); credit for, or cancel of, a streamed request body. */
  | BodyMessage;

/** `body` true: the response body streams; its chunks follow as 'chunk' messages, as the supervisor grants credit. */
export type EngineResponse = [seq: number, status: number, statusText: string, headers: string, body: string | Uint8Array | null | true, cpuMs: number, coldStartMs: number];

export interface EngineStats {
  pid: number;
  resident: number;
  /** Versions whose spec the engine holds. */
  known: number;
  inFlight: number;
  rssBytes: number;
  heapUsedBytes: number;
  /** Per resident version: V8 heap of its isolate. */
  isolates: { id: string; worker: string; heapUsedBytes: number; heapLimitBytes: number; inFlight: number }[];
}
