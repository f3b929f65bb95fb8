// Messages between the supervisor and its engine processes (Node IPC, 'advanced' serialization, so
// ArrayBuffers and Buffers cross without base64). Requests and responses are flat tuples: they are
// the per-request cost; the rest are records.
import type { ServeLimits } from '../control/model.js';
import type { VarValue } from '../workers/worker-config.js';
import type { BodyMessage } from './body-channel.js';
import type { SocketMessage } from './socket-channel.js';
import type { UsageReport } from '../observability/usage/usage-report.js';
import type { FailureKind } from '../observability/platform-observer.js';

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
  /**
   * Analytics Engine datasets, in binding-index order. Engines send points with the index only; the
   * supervisor resolves the tenant and dataset from the spec it sent, so an engine cannot name another's.
   */
  analytics?: { binding: string; dataset: string; tenant: string }[];
  /** The Cache API partition (the tenant): workers of one tenant share their caches. Absent: the worker's name. */
  cachePartition?: string;
  /**
   * Service bindings, in binding-index order. The engine sends a call to the supervisor with the
   * index; the supervisor resolves it from the spec it sent, so an engine cannot name another target.
   */
  services?: { binding: string; service: string; entrypoint?: string }[];
  /** Queue producers, in binding-index order, already scoped: the engine writes to exactly these queues. */
  queues?: { binding: string; scope: string; queue: string; deliveryDelay?: number }[];
  /** Durable Object namespaces of classes this version exports; their objects run in this engine. */
  durableObjects?: { binding: string; className: string }[];
  /** The worker's tenant: objects' storage and ids are scoped to it. Absent: the worker's name. */
  tenant?: string;
  /** The version's number: of a worker's versions an engine holds, objects run in the highest. */
  number?: number;
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
  /** Liveness: answered by 'pong' as soon as the engine's event loop gets to it. */
  | { t: 'ping'; seq: number }
  /** Run a Durable Object's alarm if it is due (the supervisor's alarm scheduler). Answered by 'alarmed'. */
  | { t: 'alarm'; seq: number; id: string; cls: string; obj: string; retries: number }
  /** Stop: answer in-flight requests, let waitUntil work run up to `graceMs`, then exit 0. */
  | { t: 'shutdown'; graceMs: number }
  /** A streamed request body's chunks (and end or failure); credit for, or cancel of, a streamed response body. */
  | BodyMessage
  /** A client's WebSocket message or close, or what of the worker's messages the client has taken (socket-channel.ts). */
  | SocketMessage
  /** The answer to a service binding call the engine made ('sreq'): the target's response head, or why it failed. */
  | { t: 'sres'; seq: number; r: ServiceResponse }
  | { t: 'sres'; seq: number; error: string };

/** `body` true: the request body streams; its chunks follow as 'chunk' messages, as the engine grants credit. */
export type EngineRequest = [seq: number, versionId: string, method: string, url: string, headers: string, body: ArrayBuffer | null | true, traceId: string, hops: number,
  /** A cron trigger's run instead of a request: [cron, scheduledTime]. */
  scheduled?: [cron: string, scheduledTime: number] | null,
  /** A service binding's call: [entrypoint export | null, RPC method | null (a fetch)]. */
  service?: [entrypoint: string | null, rpc: string | null] | null,
  /** A batch for the queue() handler of the named queue; the messages are the body. */
  queue?: string | null,
  /** The request's own span id: the parent its subrequests' traceparent and service binding calls name. */
  spanId?: string];

// --- engine -> supervisor ------------------------------------------------------------------------
export type FromEngine =
  | { t: 'ready'; pid: number }
  /** [seq, status, statusText, headers, body, cpuMs, coldStartMs (-1: warm), failure] */
  | { t: 'res'; r: EngineResponse }
  | { t: 'warmed'; seq: number; id: string; ok: boolean; error: string | null; ms: number }
  | { t: 'stats'; seq: number; stats: EngineStats }
  | { t: 'pong'; seq: number }
  /** An alarm run is over; the engine has updated the alarm index (cleared, moved or set for a retry). */
  | { t: 'alarmed'; seq: number; ok: boolean }
  /** A tenant's console line or a platform error about a worker (the supervisor owns the log). */
  | { t: 'log'; worker: string; traceId: string | null; level: number | 'platform'; message: string }
  /** After 'shutdown': every request is answered and nothing follows; the engine exits next. */
  | { t: 'drained' }
  /** A streamed response body's chunks (and end or failure); credit for, or cancel of, a streamed request body. */
  | BodyMessage
  /** A worker's WebSocket message or close (after a 101 'res'), or what of the client's messages it has taken (socket-channel.ts). */
  | SocketMessage
  /** Analytics Engine data points the engine's workers wrote in one event-loop turn (analytics-points.ts). */
  | { t: 'points'; p: EnginePoint[] }
  /** A service binding call out of one of the engine's workers, to be dispatched by the supervisor (service-calls.ts). */
  | { t: 'sreq'; r: ServiceRequest }
  /** Its workers' usage since the last report, sent before each 'pong' and 'stats' and before 'drained' (usage-report.ts). */
  | { t: 'usage'; u: UsageReport };

/**
 * A service binding call: [seq, caller version id, binding index, method, url, headers, body, traceId, hops].
 * Its seq is negative, so its streamed bodies' chunk, credit and cancel messages never collide with a
 * request's the supervisor sent (positive seqs).
 */
export type ServiceRequest = [seq: number, versionId: string, binding: number, method: string, url: string, headers: string, body: ArrayBuffer | null | true, traceId: string, hops: number,
  /** A JavaScript RPC call: the method's name; the body holds its serialized arguments. */
  rpc?: string | null,
  /** The calling request's span id: the parent of the span the call makes. */
  parentSpanId?: string];
/** [status, statusText, headers, body]; body true: it streams, as a response body does. */
export type ServiceResponse = [status: number, statusText: string, headers: string, body: string | Uint8Array | null | true];

/** A data point that passed the engine's checks: [version id, binding index, Unix seconds, index1, blobs, doubles]. */
export type EnginePoint = [versionId: string, binding: number, timestamp: number, index1: string, blobs: string[], doubles: number[]];

/** `body` true: the response body streams; its chunks follow as 'chunk' messages, as the supervisor grants credit. */
export type EngineResponse = [seq: number, status: number, statusText: string, headers: string, body: string | Uint8Array | null | true, cpuMs: number, coldStartMs: number,
  /** Set when the runtime answered in the worker's place (a limit, a crash); null for the worker's own response. */
  failure: FailureKind | null];

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
