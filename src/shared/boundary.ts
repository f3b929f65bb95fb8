// The contract between the host and the sandbox runtime. Both sides compile against this file and
// nothing else of each other. Only data crosses: numbers, strings, ArrayBuffers and flat arrays of
// those. Every value that comes out of an isolate is checked again on the host side.

/** Operations the sandbox asks of the host through its single bridge function. */
export const Op = {
  /**
   * (reqId, status, statusText, headers, body: string | ArrayBuffer | null | true | number, done: boolean)
   * `true`: the body is a stream, pulled chunk by chunk through the `pullBody` entry. A number: the
   * untouched response body of that subrequest (see FetchStart), which the host sends on itself.
   */
  Respond: 1,
  /** (reqId, kind: ErrorKind-like code, message) the handler failed; the host answers 500 */
  Fail: 2,
  /** (reqId) every waitUntil promise has settled, after a Respond that was not `done` */
  RequestDone: 3,
  /** (level, message) console output, tagged by the host with worker and trace id */
  Log: 4,
  /** (reqId, chunk: ArrayBuffer | null) the next chunk of a streamed response body, null at its end; answers a `pullBody` */
  ResponseChunk: 15,
  /** (reqId, message) the streamed response body failed: the client's connection is cut */
  ResponseError: 16,
  /**
   * (opId, reqId, whole: boolean) -> async ArrayBuffer | null: the next chunk of the request body as the
   * client sends it, null at its end; with `whole`, all of the rest in one ArrayBuffer
   */
  RequestBodyRead: 17,
  /** (reqId) the request body will not be read further */
  RequestBodyCancel: 18,
  /** (timerId, delayMs, repeat: boolean) */
  TimerSet: 5,
  /** (timerId) */
  TimerClear: 6,
  /** (input, base | undefined) -> URL components, see UrlParts */
  UrlParse: 7,
  /** (init string) -> flat [name, value, name, value, ...] */
  UrlSearchParse: 8,
  /** (flat pairs) -> application/x-www-form-urlencoded string */
  UrlSearchSerialize: 9,
  /** (byteLength) -> ArrayBuffer of random bytes */
  RandomBytes: 10,
  /** () -> RFC 4122 v4 UUID string */
  RandomUuid: 11,
  /** (bytes: ArrayBuffer, label, fatal, ignoreBOM) -> string */
  TextDecode: 12,
  /** (string) -> ArrayBuffer of UTF-8 */
  TextEncode: 13,
  /** (value) -> a structured clone of value */
  StructuredClone: 14,
  /** (bindingIndex, opId, key, cacheTtl) -> async [value ArrayBuffer, metadata JSON | null] | null */
  KvGet: 20,
  /** (bindingIndex, opId, key, value ArrayBuffer, expiration, expirationTtl, metadata JSON | undefined) */
  KvPut: 21,
  /** (bindingIndex, opId, key) */
  KvDelete: 22,
  /** (bindingIndex, opId, prefix, limit, cursor) -> async JSON text of the list result */
  KvList: 23,
  // Subrequests. Each lives behind a handle in a per-instance host table until its response body is
  // read, canceled or sent on, it is aborted, or its request ends.
  /**
   * (method, url, headers, body: string | ArrayBuffer | null | true, redirect) -> handle. The request
   * starts at once; `true`: the body streams, written with FetchBodyWrite.
   */
  FetchStart: 30,
  /** (opId, handle) -> async [status, statusText, headers, hasBody: boolean, url, redirected] once the head arrives */
  FetchResponse: 31,
  /** (opId, handle, chunk: ArrayBuffer | null) -> async null once the connection has taken the chunk; null ends the body */
  FetchBodyWrite: 32,
  /**
   * (opId, handle, whole: boolean) -> async ArrayBuffer | null: the next chunk of the response body as
   * it arrives, null at its end; with `whole`, all of the rest in one ArrayBuffer (up to 100 MB)
   */
  FetchBodyRead: 33,
  /** (handle) abort the subrequest: its connection, its request body and its response body */
  FetchAbort: 34,
  // Web Crypto. Keys and hash states live in a per-isolate host table; the isolate holds handles.
  // Async crypto ops answer `[1, value]` or `[0, ErrorKind, message]` as their value, so the
  // DOMException kinds WebCrypto names survive the generic async completion path.
  // Algorithms cross as flat [member, value, ...] pairs; a KeyRecord is
  // [handle, type, extractable, usages, algorithm pairs].
  /** (opId, algorithm name, data ArrayBuffer) -> async ArrayBuffer */
  CryptoDigest: 40,
  /** (opId, algorithm, extractable, usages) -> async [KeyRecord] or [public KeyRecord, private KeyRecord] */
  CryptoGenerateKey: 41,
  /** (opId, format, key data ArrayBuffer | JWK JSON text, algorithm, extractable, usages) -> async KeyRecord */
  CryptoImportKey: 42,
  /** (opId, format, handle) -> async ArrayBuffer | JWK JSON text */
  CryptoExportKey: 43,
  /** (opId, algorithm, handle, data) -> async ArrayBuffer */
  CryptoSign: 44,
  /** (opId, algorithm, handle, signature, data) -> async boolean */
  CryptoVerify: 45,
  /** (opId, algorithm, handle, data) -> async ArrayBuffer */
  CryptoEncrypt: 46,
  /** (opId, algorithm, handle, data) -> async ArrayBuffer */
  CryptoDecrypt: 47,
  /** (opId, algorithm, handle, length | null) -> async ArrayBuffer */
  CryptoDeriveBits: 48,
  /** (opId, algorithm, base handle, derived key algorithm, extractable, usages) -> async KeyRecord */
  CryptoDeriveKey: 49,
  /** (opId, format, handle, wrapping handle, wrap algorithm) -> async ArrayBuffer */
  CryptoWrapKey: 50,
  /** (opId, format, wrapped ArrayBuffer, unwrapping handle, unwrap algorithm, key algorithm, extractable, usages) -> async KeyRecord */
  CryptoUnwrapKey: 51,
  /** (handles: number[]) the isolate no longer references these keys or hash states */
  CryptoRelease: 52,
  /** (algorithm name) -> handle of a new incremental hash, or null when the table is full */
  DigestStreamCreate: 53,
  /** (handle, chunk: ArrayBuffer | string) -> bytes hashed */
  DigestStreamWrite: 54,
  /** (handle) -> ArrayBuffer digest; the handle is released */
  DigestStreamFinish: 55,
  // Compression streams. The zlib state lives in a per-isolate host table; the isolate holds handles.
  // Input crosses in slices and output comes back in bounded slices: `more` says the engine holds
  // more output for the input it has, to be fetched with CompressionRead once the reader wants it.
  /** (format: 'gzip' | 'deflate' | 'deflate-raw', decompress: boolean) -> handle, or null when the table is full */
  CompressionCreate: 60,
  /** (handle, input ArrayBuffer) -> [output ArrayBuffer | null, more: boolean]; the previous input must be used up */
  CompressionWrite: 61,
  /** (handle) end of input -> [output ArrayBuffer | null, more: boolean]; the handle is released once `more` is false */
  CompressionFinish: 62,
  /** (handle) -> [output ArrayBuffer | null, more: boolean], continuing the last write or finish */
  CompressionRead: 63,
  /** (handles: number[]) the isolate no longer references these compression streams */
  CompressionRelease: 64,
} as const;
export type OpCode = (typeof Op)[keyof typeof Op];

/** Which constructor the sandbox uses for an error the host reports. */
export const ErrorKind = {
  Error: 0, TypeError: 1, RangeError: 2, SyntaxError: 3, DataCloneError: 4, TimeoutError: 5,
  // DOMExceptions WebCrypto names; DOMSyntaxError is the DOMException "SyntaxError", not the JS one.
  NotSupportedError: 6, InvalidAccessError: 7, DataError: 8, OperationError: 9, DOMSyntaxError: 10, QuotaExceededError: 11,
} as const;
export type ErrorKindCode = (typeof ErrorKind)[keyof typeof ErrorKind];

/**
 * What a synchronous host call returns: `[1, value]` on success, `[0, kind, message]` on failure.
 * The host never throws into the isolate, so no host stack or internals can reach tenant code.
 * For an async op, `undefined` means "pending": the host will later call the runtime's
 * `complete(opId, ok, value)` entry.
 */
export type HostReply = [1, unknown] | [0, ErrorKindCode, string] | undefined;

/** Indexes into the array UrlParse returns. */
export const UrlPart = {
  Href: 0, Origin: 1, Protocol: 2, Username: 3, Password: 4, Host: 5, Hostname: 6, Port: 7, Pathname: 8, Search: 9, Hash: 10,
} as const;

/** Log levels shared by console capture and host logging. */
export const LogLevel = { Debug: 0, Info: 1, Log: 2, Warn: 3, Error: 4 } as const;
export type LogLevelCode = (typeof LogLevel)[keyof typeof LogLevel];

/**
 * Headers cross as one string, "name:value" entries joined by "\n". HTTP forbids ":" in field names
 * and CR/LF in values, so the encoding is unambiguous and costs one string copy instead of an array.
 */
export const HEADER_SEPARATOR = '\n';

/**
 * Entry points the runtime exposes to the host once it has booted: install(namespace, varsJson,
 * bindingsJson: JSON of BindingDescriptor[], see bindings.ts), dispatchFetch(reqId, method, url, headers, body, cfJson) where body is an ArrayBuffer,
 * null, or true when it streams (read with RequestBodyRead), complete(opId, ok, value), fireTimer(timerId),
 * dropTimers(timerIds), pullBody(reqId, cancel) asks for the next chunk of a streamed response body (answered
 * with ResponseChunk or ResponseError) or, with `cancel`, cancels it, reportRejection(isError, valueOrName, message, stack) ->
 * whether the host should still log the rejection (no `unhandledrejection` listener canceled it).
 */
export const ENTRY_NAMES = ['install', 'dispatchFetch', 'complete', 'fireTimer', 'dropTimers', 'pullBody', 'reportRejection'] as const;
export type EntryName = (typeof ENTRY_NAMES)[number];

/** The global name under which the host hands the bridge to the runtime; the runtime deletes it at once. */
export const BRIDGE_GLOBAL = '__isletHost';
/** The global name under which the runtime hands its entries back; the host deletes it at once. */
export const ENTRIES_GLOBAL = '__isletRuntime';
