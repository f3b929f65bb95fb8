// The host's view of one request running in an isolate: what it has used of its limits, and what it
// still owns (timers, the wall-clock timer, the promise the front door awaits).
import type { ByteSource } from './byte-source.js';
import type { IsolateBodyStream } from './isolate-body-stream.js';
import type { OutgoingResponse } from './request-types.js';

export class RequestContext {
  readonly id: number;
  readonly traceId: string;
  readonly resolve: (response: OutgoingResponse) => void;
  cpuMs = 0;
  /** cpuMs when the current event began: each WebSocket message is an event with a budget of its own. */
  cpuBaseMs = 0;
  /** WebSockets this request handed out and that are still open: the request lasts as long as they do. */
  openSockets = 0;
  subrequests = 0;
  kvOperations = 0;
  /** Carried on to this request's subrequests, so chains of workers calling each other end. */
  hops = 0;
  /** The request's own span (IncomingRequest.spanId): its subrequests name it as their parent; null when it has none. */
  spanId: string | null = null;
  responded = false;
  ended = false;
  wallTimer: NodeJS.Timeout | null = null;
  /** The request body as the client sends it, when it was not buffered; null once read or canceled. */
  requestBody: ByteSource | null = null;
  requestBodyReading = false;
  /** The response body, when it streams out of the isolate. */
  responseBody: IsolateBodyStream | null = null;
  readonly timers = new Map<number, NodeJS.Timeout>();
  /** A Durable Object's RPC call or alarm: its result goes here rather than to `resolve` (bindings/durable-objects). */
  settle: ((ok: boolean, value: unknown) => void) | null = null;
  /** Told once, when the context ends: a Durable Object counts the events it has in flight. */
  onEnd: (() => void) | null = null;
  /**
   * A Durable Object's event: a CPU limit it breaks resets the object and fails this event, instead of
   * taking the isolate (and every request in it, its caller's too) down with it.
   */
  onCpuLimit: (() => void) | null = null;
  /** A stub call of this request failed because its object broke its CPU limit: an uncaught failure counts as that. */
  objectCpuLimit = false;

  /** A new event of this request (a WebSocket message): a fresh CPU budget and fresh per-event counts, as Workers charges. */
  beginEvent(): void {
    this.cpuBaseMs = this.cpuMs;
    this.subrequests = 0;
    this.kvOperations = 0;
  }

  constructor(id: number, traceId: string, resolve: (response: OutgoingResponse) => void) {
    this.id = id;
    this.traceId = traceId;
    this.resolve = resolve;
  }
}
