// W3C Trace Context: how a request's trace id arrives (`traceparent`) and how it leaves with the
// worker's subrequests, so a chain of workers (and any OpenTelemetry-aware service) shares one trace.
// @see https://www.w3.org/TR/trace-context/#traceparent-header
import { randomFillSync } from 'node:crypto';

export interface TraceParent {
  traceId: string;
  /** The caller's span: the parent of the span this request makes. */
  parentId: string;
}

// version-traceid-parentid-flags, lower-case hex; later versions may append fields after a dash.
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const W3C_TRACE_ID = /^[0-9a-f]{32}$/;
const ALL_ZERO = /^0+$/;

/** The header's trace-id and parent-id, or null when it is not one the spec lets a receiver use. */
export function parseTraceparent(value: string): TraceParent | null {
  const match = TRACEPARENT.exec(value.trim());
  if (match === null) return null;
  const [, version, traceId, parentId, , rest] = match;
  // Version ff is forbidden; version 00 has exactly four fields; all-zero ids are invalid.
  if (version === 'ff' || (version === '00' && rest !== undefined)) return null;
  if (ALL_ZERO.test(traceId!) || ALL_ZERO.test(parentId!)) return null;
  return { traceId: traceId!, parentId: parentId! };
}

/** True for an id a traceparent can carry (32 lower-case hex digits, not all zero). */
export function isW3cTraceId(id: string): boolean {
  return W3C_TRACE_ID.test(id) && !ALL_ZERO.test(id);
}

// Ids are cut from a pool of random bytes refilled 4 KiB at a time: one randomFillSync per few
// hundred requests rather than one per id.
const POOL = Buffer.alloc(4096);
let poolAt = POOL.length;

function randomHex(bytes: number): string {
  if (poolAt + bytes > POOL.length) {
    randomFillSync(POOL);
    poolAt = 0;
  }
  const hex = POOL.toString('hex', poolAt, poolAt + bytes);
  poolAt += bytes;
  return hex;
}

/** A new random span id: 16 lower-case hex digits, never all zero. */
export function newSpanId(): string {
  for (;;) {
    const id = randomHex(8);
    if (id !== '0000000000000000') return id;
  }
}

/**
 * A new trace id: 32 random lower-case hex digits, never all zero. Random, as W3C Trace Context asks,
 * rather than a counter: an id must not tell how many requests a server has had, nor predict the next.
 */
export function newTraceId(): string {
  for (;;) {
    const id = randomHex(16);
    if (!ALL_ZERO.test(id)) return id;
  }
}

/**
 * The traceparent a subrequest carries: version 00, the trace, the span of the request making it (the
 * callee's parent; a new random one when that request has none), sampled (01).
 */
export function traceparentFor(traceId: string, spanId: string = newSpanId()): string {
  return `00-${traceId}-${spanId}-01`;
}
