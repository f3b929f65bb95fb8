// What the front door hands to a worker and gets back: plain data, independent of node:http.
import type { ByteSource } from './byte-source.js';

export interface IncomingRequest {
  method: string;
  /** Absolute URL as the tenant will see it. */
  url: string;
  /** Encoded as the boundary expects: "name:value" entries joined by "\n". */
  headers: string;
  /** Whole when it arrived in one piece (or small); a ByteSource when it streams in as the client sends it. */
  body: ArrayBuffer | ByteSource | null;
  traceId: string;
  /** Worker invocations in the chain of subrequests that led here (x-islet-via); absent for a client's request. */
  hops?: number;
}

export interface OutgoingResponse {
  status: number;
  statusText: string;
  /** "name:value" entries joined by "\n"; Set-Cookie entries stay separate. */
  headers: string;
  /** Whole, or a ByteSource when the worker's body is a stream (read as the client takes the bytes). */
  body: string | Buffer | ByteSource | null;
}

/** Why the platform, not the tenant, produced a response. */
export type PlatformFailure = 'exception' | 'cpu-limit' | 'memory-limit' | 'wall-limit' | 'hung' | 'load-error' | 'overloaded';

export function platformResponse(status: number, message: string): OutgoingResponse {
  return { status, statusText: '', headers: 'content-type:text/plain;charset=UTF-8', body: message };
}
