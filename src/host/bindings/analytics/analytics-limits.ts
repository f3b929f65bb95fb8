// Workers Analytics Engine limits and the errors workerd throws when a data point breaks them.
// @see https://developers.cloudflare.com/analytics/analytics-engine/limits/
// @see https://github.com/cloudflare/workerd/blob/main/src/workerd/api/analytics-engine-impl.h
import { MAX_BLOBS, MAX_DOUBLES, MAX_INDEXES, tooManyBlobs, tooManyDoubles, tooManyIndexes } from '../../../shared/analytics-limits.js';

export { MAX_BLOBS, MAX_DOUBLES, MAX_INDEXES };
export const MAX_INDEX_BYTES = 96;
/** "The total size of all blobs in a request must not exceed 16 KB", per data point. */
export const MAX_BLOB_BYTES = 16 * 1024;
/** "You can write a maximum of 250 data points per Worker invocation." */
export const MAX_POINTS_PER_INVOCATION = 250;

// workerd's messages, its unbalanced ')' included, so code matching them behaves the same here.
const PREFIX = 'writeDataPoint(): ';
export const analyticsErrors = {
  tooManyIndexes,
  indexTooLarge: () => `${PREFIX}Size of indexes[0] exceeds ${MAX_INDEX_BYTES} bytes).`,
  tooManyBlobs,
  blobsTooLarge: () => `${PREFIX}Cumulative size of blobs exceeds ${MAX_BLOB_BYTES} bytes).`,
  tooManyDoubles,
  /** What Workers throws (an Error) past 250 data points in one invocation. */
  writeLimit: () => 'Analytics Engine write limit exceeded.',
  /** IoContext::current() outside a handler: module top level. */
  globalScope: () => 'Disallowed operation called within global scope. Asynchronous I/O (ex: fetch() or connect()), setting a timeout, and generating random values are not allowed within global scope. To fix this error, perform this operation within a handler. https://developers.cloudflare.com/workers/runtime-apis/handlers/',
} as const;
