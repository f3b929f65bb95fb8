// What the front door hands to a worker and gets back: plain data, independent of node:http.
import type { ByteSource } from './byte-source.js';
import type { WorkerSocket } from './sockets/socket-types.js';
import type { FailureKind } from '../observability/platform-observer.js';

export interface IncomingRequest {
  method: string;
  /** Absolute URL as the tenant will see it. */
  url: string;
  /** Encoded as the boundary expects: "name:value" entries joined by "\n". */
  headers: string;
  /** Whole when it arrived in one piece (or small); a ByteSource when it streams in as the client sends it. */
  body: ArrayBuffer | ByteSource | null;
  traceId: string;
  /** The caller's span id, from a W3C traceparent the request came with (tracing/trace-context.ts). */
  parentSpanId?: string | undefined;
  /**
   * The request's own span id, chosen by the front door or the platform as it arrives: the parent-id
   * of its subrequests' traceparent and of its service binding calls, and the id its span is exported under.
   */
  spanId?: string | undefined;
  /** Worker invocations in the chain of subrequests that led here (x-islet-via); absent for a client's request. */
  hops?: number;
  /** Set for a cron trigger's run: the worker's scheduled() handler runs instead of fetch(). */
  scheduled?: ScheduledEvent;
  /** A service binding's RPC call: the method of the WorkerEntrypoint; its arguments are the body (rpc-codec.ts). */
  rpc?: { method: string };
  /** The named WorkerEntrypoint export a service binding's call goes to, instead of the default export. */
  entrypoint?: string;
  /** A batch for the worker's queue() handler; the messages are the body (queues/queue-codec.ts). */
  queue?: { queue: string };
}

/** A cron trigger's run; `scheduledTime` in ms since the epoch. */
export interface ScheduledEvent { cron: string; scheduledTime: number }

export interface OutgoingResponse {
  status: number;
  statusText: string;
  /** "name:value" entries joined by "\n"; Set-Cookie entries stay separate. */
  headers: string;
  /** Whole, or a ByteSource when the worker's body is a stream (read as the client takes the bytes). */
  body: string | Buffer | ByteSource | null;
  /** With status 101: the worker's end of the WebSocket, for the front door to connect to its client. */
  webSocket?: WorkerSocket;
  /**
   * Set when the platform answered in the worker's place (a limit, a crash, a refusal), and only then:
   * a worker's own response never has it, whatever its status and text.
   */
  failure?: FailureKind;
}

/** Why the platform, not the tenant, produced a response. */
export type PlatformFailure = 'exception' | 'cpu-limit' | 'memory-limit' | 'wall-limit' | 'hung' | 'load-error' | 'overloaded';

/** `failure`: what the answer is counted as (islet_errors_total, request logs); null for none. */
export function platformResponse(status: number, message: string, failure: FailureKind | null = null): OutgoingResponse {
  const response: OutgoingResponse = { status, statusText: '', headers: 'content-type:text/plain;charset=UTF-8', body: message };
  if (failure !== null) response.failure = failure;
  return response;
}
