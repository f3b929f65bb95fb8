// Cloudflare Queues' limits, as its documentation states them (KB = 1,000 bytes there).
// @see https://developers.cloudflare.com/queues/platform/limits/
export const MAX_MESSAGE_BYTES = 128_000;
export const MAX_BATCH_MESSAGES = 100;
export const MAX_BATCH_BYTES = 256_000;
/** delaySeconds and retry delays: at most 12 hours. */
export const MAX_DELAY_SECONDS = 43_200;
/** Consumer settings: defaults and ceilings of max_batch_size, max_batch_timeout (s), max_retries. */
export const CONSUMER_DEFAULTS = { maxBatchSize: 10, maxBatchTimeoutMs: 5_000, maxRetries: 3, retryDelaySeconds: 0 } as const;
export const MAX_CONSUMER_BATCH_SIZE = 100;
export const MAX_CONSUMER_BATCH_TIMEOUT_S = 60;
export const MAX_CONSUMER_RETRIES = 100;
/** Queue names: letters, digits and dashes, at most 63 characters, as wrangler accepts them. */
export const QUEUE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;
