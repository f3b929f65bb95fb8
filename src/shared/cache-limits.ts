// Limits of the Cache API that both halves apply: the sandbox to stop reading a body early, the host
// to refuse what came out of an isolate anyway.

/**
 * The largest response body kept by cache.put(). Cloudflare allows 512 MB per object; a single node
 * keeps whole entries in SQLite and hands them to an isolate with a 128 MB heap, so Islet keeps 32 MiB.
 * A larger response is not stored and put() still resolves, as Cloudflare's cache answers 413.
 */
export const MAX_CACHE_ENTRY_BYTES = 32 * 1024 * 1024;

/** workerd refuses a cache name of 1024 bytes or more ("Cache name is too long."). */
export const MAX_CACHE_NAME_BYTES = 1023;
