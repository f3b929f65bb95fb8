// Workers KV limits, from https://developers.cloudflare.com/kv/platform/limits/
// and the KV API pages (read-key-value-pairs, write-key-value-pairs, list-keys).
export const KV_MAX_KEY_BYTES = 512;
export const KV_MAX_VALUE_BYTES = 25 * 1024 * 1024;
export const KV_MAX_METADATA_BYTES = 1024;
export const KV_MIN_EXPIRATION_TTL = 60;
// Lowered from 60 to 30 on 2026-01-30 ("Reduced minimum cache TTL for Workers
// KV to 30 seconds", developers.cloudflare.com/changelog); miniflare followed in
// cloudflare/workers-sdk#11391.
export const KV_MIN_CACHE_TTL = 30;
export const KV_MAX_LIST_LIMIT = 1000;
// workerd declares expiration, expirationTtl, cacheTtl and limit as C++ `int`,
// so Workers rejects values outside the signed 32-bit range before anything else.
export const KV_INT_MIN = -2147483648;
export const KV_INT_MAX = 2147483647;

export type KvMethod = 'GET' | 'PUT' | 'DELETE';

export type KvErrorCode =
  | 'ERR_KV_INVALID_KEY'
  | 'ERR_KV_KEY_TOO_LONG'
  | 'ERR_KV_VALUE_TOO_LARGE'
  | 'ERR_KV_METADATA_TOO_LARGE'
  | 'ERR_KV_INVALID_EXPIRATION'
  | 'ERR_KV_INVALID_CACHE_TTL'
  | 'ERR_KV_INVALID_LIMIT'
  | 'ERR_KV_INVALID_CURSOR'
  | 'ERR_KV_INVALID_ARGUMENT';

/**
 * A KV call refused before anything was stored. `message` is the text a Worker
 * sees on Cloudflare; `errorName` is the class Workers throws it as, so the
 * isolate side can rebuild the same kind of error.
 */
export class KvError extends Error {
  readonly code: KvErrorCode;
  readonly errorName: 'Error' | 'TypeError';

  constructor(code: KvErrorCode, message: string, errorName: 'Error' | 'TypeError' = 'Error') {
    super(message);
    this.name = 'KvError';
    this.code = code;
    this.errorName = errorName;
  }
}

// Message texts and where they come from:
// - Key checks and the 414 key-length text: workerd src/workerd/api/kv.c++
//   (validateKeyName); the 414 text as seen in production is quoted in
//   cloudflare/cloudflare-docs#3666 ("KV GET failed: 414 UTF-8 encoded length
//   of 513 exceeds key length limit of 512.").
// - "KV <METHOD> failed: <status> <text>" framing: workerd kv.c++
//   (checkForErrorStatus); list() reports itself as GET there.
// - expiration / expiration_ttl / cache_ttl / metadata / value texts: miniflare
//   packages/miniflare/src/workers/kv/validator.worker.ts and namespace.worker.ts
//   (cloudflare/workers-sdk), which mirror the KV service; production reports
//   of the same texts: ztjhz/BetterChatGPT#48, rhinobase/hono-rate-limiter#23,
//   cloudflare/workers-oauth-provider#233, and in workers-sdk#11391 the KV team
//   notes "Expiration TTL must be at least 60." matches production verbatim.
// - key_count_limit texts and the key type text: miniflare 2
//   (cloudflare/miniflare packages/kv/src/namespace.ts).
// - "Invalid cursor": production report miantiao-me/Sink#90 ("KV GET failed:
//   400 invalid cursor") and Workers-compatible reimplementations.
// - 32-bit range text: cloudflare/miniflare#485, quoting Workers production.
// - value type text: workerd kv.c++ (KvNamespace::put).
const failed = (method: KvMethod, status: number, text: string): string => `KV ${method} failed: ${status} ${text}`;

export const kvErrors = {
  keyNotString: (operation: string) =>
    new KvError(
      'ERR_KV_INVALID_ARGUMENT',
      `Failed to execute '${operation}' on 'KvNamespace': parameter 1 is not of type 'string'.`,
      'TypeError',
    ),
  keyEmpty: () => new KvError('ERR_KV_INVALID_KEY', 'Key name cannot be empty.', 'TypeError'),
  keyReserved: (key: '.' | '..') =>
    new KvError('ERR_KV_INVALID_KEY', `"${key}" is not allowed as a key name.`, 'TypeError'),
  keyTooLong: (method: KvMethod, bytes: number) =>
    new KvError(
      'ERR_KV_KEY_TOO_LONG',
      failed(method, 414, `UTF-8 encoded length of ${bytes} exceeds key length limit of ${KV_MAX_KEY_BYTES}.`),
    ),
  intOutOfRange: () =>
    new KvError(
      'ERR_KV_INVALID_ARGUMENT',
      `Value out of range. Must be between ${KV_INT_MIN} and ${KV_INT_MAX} (inclusive).`,
      'TypeError',
    ),
  notANumber: (name: string) =>
    new KvError('ERR_KV_INVALID_ARGUMENT', `KV option ${name} must be a number.`, 'TypeError'),
  valueType: () =>
    new KvError(
      'ERR_KV_INVALID_ARGUMENT',
      'KV put() accepts only strings, ArrayBuffers, ArrayBufferViews, and ReadableStreams as values.',
      'TypeError',
    ),
  valueTooLarge: (bytes: number) =>
    new KvError(
      'ERR_KV_VALUE_TOO_LARGE',
      failed('PUT', 413, `Value length of ${bytes} exceeds limit of ${KV_MAX_VALUE_BYTES}.`),
    ),
  metadataNotJson: () =>
    new KvError('ERR_KV_INVALID_ARGUMENT', 'KV put() metadata must be serialized JSON text.', 'TypeError'),
  metadataTooLarge: (bytes: number) =>
    new KvError(
      'ERR_KV_METADATA_TOO_LARGE',
      failed('PUT', 413, `Metadata length of ${bytes} exceeds limit of ${KV_MAX_METADATA_BYTES}.`),
    ),
  expirationTtlNotPositive: (ttl: number) =>
    new KvError(
      'ERR_KV_INVALID_EXPIRATION',
      failed('PUT', 400, `Invalid expiration_ttl of ${ttl}. Please specify integer greater than 0.`),
    ),
  expirationTtlTooShort: (ttl: number) =>
    new KvError(
      'ERR_KV_INVALID_EXPIRATION',
      failed('PUT', 400, `Invalid expiration_ttl of ${ttl}. Expiration TTL must be at least ${KV_MIN_EXPIRATION_TTL}.`),
    ),
  expirationInPast: (expiration: number) =>
    new KvError(
      'ERR_KV_INVALID_EXPIRATION',
      failed(
        'PUT',
        400,
        `Invalid expiration of ${expiration}. Please specify integer greater than the current number of seconds since the UNIX epoch.`,
      ),
    ),
  expirationTooSoon: (expiration: number) =>
    new KvError(
      'ERR_KV_INVALID_EXPIRATION',
      failed(
        'PUT',
        400,
        `Invalid expiration of ${expiration}. Expiration times must be at least ${KV_MIN_EXPIRATION_TTL} seconds in the future.`,
      ),
    ),
  cacheTtlTooShort: (cacheTtl: number) =>
    new KvError(
      'ERR_KV_INVALID_CACHE_TTL',
      failed('GET', 400, `Invalid cache_ttl of ${cacheTtl}. Cache TTL must be at least ${KV_MIN_CACHE_TTL}.`),
    ),
  limitTooLarge: (limit: number) =>
    new KvError(
      'ERR_KV_INVALID_LIMIT',
      failed(
        'GET',
        400,
        `Invalid key_count_limit of ${limit}. Please specify an integer less than ${KV_MAX_LIST_LIMIT}.`,
      ),
    ),
  prefixNotString: () => new KvError('ERR_KV_INVALID_ARGUMENT', 'KV list() prefix must be a string.', 'TypeError'),
  cursorNotString: () => new KvError('ERR_KV_INVALID_ARGUMENT', 'KV list() cursor must be a string.', 'TypeError'),
  invalidCursor: () => new KvError('ERR_KV_INVALID_CURSOR', failed('GET', 400, 'Invalid cursor')),
};
