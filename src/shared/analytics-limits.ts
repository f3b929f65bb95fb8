// The counts Workers Analytics Engine allows in one data point, and workerd's words past them. Both
// halves check them: the sandbox before it walks an array (so a huge one is never copied out of the
// isolate), the host on whatever came out anyway.
// @see https://developers.cloudflare.com/analytics/analytics-engine/limits/
// @see https://github.com/cloudflare/workerd/blob/main/src/workerd/api/analytics-engine-impl.h

export const MAX_BLOBS = 20;
export const MAX_DOUBLES = 20;
export const MAX_INDEXES = 1;

const PREFIX = 'writeDataPoint(): ';
export const tooManyIndexes = (): string => `${PREFIX}Maximum of ${MAX_INDEXES} indexes supported.`;
export const tooManyBlobs = (): string => `${PREFIX}Maximum of ${MAX_BLOBS} blobs supported.`;
export const tooManyDoubles = (): string => `${PREFIX}Maximum of ${MAX_DOUBLES} doubles supported.`;
