// The host's view of one request running in an isolate: what it has used of its limits, and what it
// still owns (timers, the wall-clock timer, the promise the front door awaits).
import type { OutgoingResponse } from './request-types.js';

export class RequestContext {
  readonly id: number;
  readonly traceId: string;
  readonly resolve: (response: OutgoingResponse) => void;
  cpuMs = 0;
  subrequests = 0;
  kvOperations = 0;
  /** Carried on to this request's subrequests, so chains of workers calling each other end. */
  hops = 0;
  responded = false;
  ended = false;
  wallTimer: NodeJS.Timeout | null = null;
  readonly timers = new Map<number, NodeJS.Timeout>();

  constructor(id: number, traceId: string, resolve: (response: OutgoingResponse) => void) {
    this.id = id;
    this.traceId = traceId;
    this.resolve = resolve;
  }
}
