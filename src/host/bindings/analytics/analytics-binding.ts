// The host half of an Analytics Engine dataset binding. Everything arriving here came out of tenant
// code, so each argument is checked as `unknown`; a point that passes is handed to `deliver`, which
// queues it (nothing is written during the isolate call). The tenant and dataset are not in here at
// all: `deliver` was built by whoever granted the binding and knows where its points go.
import { ErrorKind, type HostReply } from '../../../shared/boundary.js';
import { fail, ok, typeError } from '../../isolates/host-ops/reply.js';
import {
  MAX_BLOB_BYTES, MAX_BLOBS, MAX_DOUBLES, MAX_INDEX_BYTES, MAX_INDEXES, MAX_POINTS_PER_INVOCATION, analyticsErrors,
} from './analytics-limits.js';

/** A data point that passed every check: blobs decoded to text, timestamp in Unix seconds. */
export interface CheckedPoint {
  timestamp: number;
  index1: string;
  blobs: string[];
  doubles: number[];
}

export class AnalyticsBinding {
  readonly #deliver: (point: CheckedPoint) => void;
  readonly #clock: () => number;

  /** `clock` returns milliseconds since the Unix epoch, like `Date.now`. */
  constructor(deliver: (point: CheckedPoint) => void, clock: () => number = Date.now) {
    this.#deliver = deliver;
    this.#clock = clock;
  }

  /** (indexes, blobs, doubles) as the runtime sends them; the reply is what writeDataPoint returns or throws. */
  write(indexes: unknown, blobs: unknown, doubles: unknown): HostReply {
    const point = checkPoint(indexes, blobs, doubles, Math.floor(this.#clock() / 1000));
    if (typeof point === 'string') return typeError(point);
    this.#deliver(point);
    return ok(null);
  }
}

/** Points written per invocation, by request context; contexts are dropped with their requests. */
const written = new WeakMap<object, number>();

/**
 * Runs an AnalyticsWrite op. `request` is the context of the running request, or null at module top
 * level, where Workers refuses I/O. Every call counts towards the 250 a request may make, valid or not,
 * as workerd counts it before converting the point.
 */
export function analyticsOp(bindings: readonly AnalyticsBinding[], request: object | null, args: unknown[]): HostReply {
  const [index, indexes, blobs, doubles] = args;
  const binding = typeof index === 'number' ? bindings[index] : undefined;
  if (binding === undefined) return typeError('Unknown Analytics Engine binding');
  if (request === null) return fail(ErrorKind.Error, analyticsErrors.globalScope());
  const count = (written.get(request) ?? 0) + 1;
  written.set(request, count);
  if (count > MAX_POINTS_PER_INVOCATION) return fail(ErrorKind.Error, analyticsErrors.writeLimit());
  return binding.write(indexes, blobs, doubles);
}

const utf8 = new TextDecoder('utf-8');

function byteLength(item: string | ArrayBuffer): number {
  return typeof item === 'string' ? Buffer.byteLength(item, 'utf8') : item.byteLength;
}

function text(item: string | ArrayBuffer | null): string {
  if (item === null) return '';
  return typeof item === 'string' ? item : utf8.decode(item);
}

function isByteItem(item: unknown): item is string | ArrayBuffer | null {
  return item === null || typeof item === 'string' || item instanceof ArrayBuffer;
}

/** The point, or the TypeError message workerd gives for it. Checked in workerd's order: indexes, blobs, doubles. */
export function checkPoint(indexes: unknown, blobs: unknown, doubles: unknown, timestamp: number): CheckedPoint | string {
  let index1 = '';
  if (indexes !== null) {
    if (!Array.isArray(indexes)) return 'writeDataPoint(): indexes must be an array.';
    if (indexes.length > MAX_INDEXES) return analyticsErrors.tooManyIndexes();
    if (indexes.length === 1) {
      const item: unknown = indexes[0];
      if (!isByteItem(item)) return 'writeDataPoint(): indexes[0] must be a string or an ArrayBuffer.';
      if (item !== null && byteLength(item) > MAX_INDEX_BYTES) return analyticsErrors.indexTooLarge();
      index1 = text(item);
    }
  }
  const blobTexts: string[] = [];
  if (blobs !== null) {
    if (!Array.isArray(blobs)) return 'writeDataPoint(): blobs must be an array.';
    if (blobs.length > MAX_BLOBS) return analyticsErrors.tooManyBlobs();
    let total = 0;
    for (let i = 0; i < blobs.length; i++) {
      const item: unknown = blobs[i];
      if (!isByteItem(item)) return `writeDataPoint(): blobs[${i}] must be a string, an ArrayBuffer or null.`;
      if (item !== null) total += byteLength(item);
      if (total > MAX_BLOB_BYTES) return analyticsErrors.blobsTooLarge();
      blobTexts.push(text(item));
    }
  }
  const numbers: number[] = [];
  if (doubles !== null) {
    if (!Array.isArray(doubles)) return 'writeDataPoint(): doubles must be an array.';
    if (doubles.length > MAX_DOUBLES) return analyticsErrors.tooManyDoubles();
    for (let i = 0; i < doubles.length; i++) {
      const item: unknown = doubles[i];
      if (typeof item !== 'number') return `writeDataPoint(): doubles[${i}] must be a number.`;
      numbers.push(item);
    }
  }
  return { timestamp, index1, blobs: blobTexts, doubles: numbers };
}
