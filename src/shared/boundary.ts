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
  // Durable Objects (src/sandbox/bindings/durable-objects, src/host/bindings/durable-objects). A
  // namespace is a binding index; an object's storage is a handle the host gave the event running it.
  /** (bindingIndex, name) -> the 64-hex id idFromName gives that name */
  DoIdFromName: 70,
  /** (bindingIndex, id) -> the id, normalised, or a TypeError when it is not one of this namespace's */
  DoIdFromString: 71,
  /** (bindingIndex) -> a new random id of this namespace */
  DoNewUniqueId: 72,
  /** (opId, bindingIndex, id, name | null, method, url, headers, body: string | ArrayBuffer | null) -> async [status, statusText, headers, body ArrayBuffer | null] */
  DoFetch: 73,
  /** (opId, bindingIndex, id, name | null, method name, args: unknown[]) -> async the method's result, structured-cloned */
  DoCall: 74,
  /** (reqId, ok: boolean, value | [errorName, message]) the result of an object's RPC call or alarm event */
  DoEventResult: 75,
  /** (handle, close: boolean) blockConcurrencyWhile: no other event reaches the object while closed */
  DoGate: 76,
  /** (handle, keys: string[]) -> flat [key, value, ...] of the keys present, values structured-cloned */
  DoStorageGet: 80,
  /** (handle, flat [key, value, ...]) */
  DoStoragePut: 81,
  /** (handle, keys: string[]) -> how many of them existed */
  DoStorageDelete: 82,
  /** (handle, start, startAfter, end, prefix, reverse, limit) -> flat [key, value, ...] in key order */
  DoStorageList: 83,
  /** (handle) */
  DoStorageDeleteAll: 84,
  /** (handle, action: 'begin' | 'commit' | 'rollback') a transaction() or transactionSync() */
  DoStorageTxn: 85,
  /** (handle, action: 'get' | 'set' | 'delete', scheduledTime ms) -> get: ms | null */
  DoStorageAlarm: 86,
  /** (handle, query, bindings: unknown[]) -> [columnNames, rows: unknown[][], rowsRead, rowsWritten] */
  DoStorageSql: 87,
  /** (handle) -> the database's size in bytes */
  DoStorageSize: 88,
  /** (opId, handle) -> async null once every write so far is durable (sync()) */
  DoStorageSync: 89,
  // Hibernatable WebSockets (ctx.acceptWebSocket): the host owns them, keyed by the object's handle, so
  // they outlive the object's instance. A socket is an id in its object's table.
  /** (handle, tags: string[]) -> socket id: the WebSocket is accepted; its client end is still to be returned in a 101 */
  DoSocketAccept: 150,
  /** (reqId, handle, socketId) the accepted socket goes to the client in request reqId's 101 response */
  DoSocketHandOff: 151,
  /** (handle, socketId, data: string | ArrayBuffer) one message to the client, held by the output gate */
  DoSocketSend: 152,
  /** (handle, socketId, code: number | null, reason) starts the closing handshake, held by the output gate */
  DoSocketClose: 153,
  /** (handle, socketId, value) keeps the V8 serialization of value with the socket, at most 2,048 bytes */
  DoSocketAttach: 154,
  /** (handle, socketId) -> the value last attached, or null */
  DoSocketAttachment: 155,
  /** (handle, tag | null) -> flat [socketId, tags: string[], closing: boolean, ...] of the object's open sockets */
  DoSocketList: 156,
  /** (handle, socketId) -> the socket's tags */
  DoSocketTags: 157,
  /** (handle, request | null, response | null) the message the host answers itself, without an event (null: none) */
  DoSocketAutoResponse: 158,
  /** (handle, socketId | null) -> null: the auto-response [request, response] or null; a socket: when it last auto-responded (ms) or null */
  DoSocketAutoResponseInfo: 159,
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
  // WebSockets (src/sandbox/web/websocket, src/host/isolates/sockets). A socket is an integer id into
  // a per-instance host table; the host delivers what happens on it through the `socketEvent` entry.
  /**
   * (reqId, relayed: socketId | null) -> socket id: the socket the request's 101 response hands to its
   * client (Respond with 101 takes it); `relayed`: one a Durable Object's 101 gave this request's stub.fetch()
   */
  WebSocketOpen: 130,
  /** (socketId, data: string | ArrayBuffer) one message to the client, at most 1 MiB */
  WebSocketSend: 131,
  /** (socketId, code: number | null, reason: string) starts the closing handshake */
  WebSocketClose: 132,
  // Cache API (the global `caches`). A cache is named by `null` (caches.default) or the string given to
  // caches.open(); the host scopes it to the worker's tenant. Keys are URLs without their fragment.
  /**
   * (opId, cacheName, url, range, ifNoneMatch, ifModifiedSince, ifRange: string | null)
   * -> async [status, statusText, headers, body ArrayBuffer | null] | null when nothing fresh is stored
   */
  CacheMatch: 90,
  /** (opId, cacheName, url, status, statusText, headers, body: string | ArrayBuffer | null) -> async null; the host decides whether to store */
  CachePut: 91,
  /** (opId, cacheName, url) -> async boolean: whether a fresh entry was there */
  CacheDelete: 92,
  // Service bindings (src/host/bindings/service). A call is a subrequest dispatched to another worker
  // on the same server instead of the network; its handle lives in the same table as FetchStart's, so
  // FetchResponse, FetchBodyWrite, FetchBodyRead and FetchAbort serve it unchanged.
  /** (bindingIndex, method, url, headers, body: string | ArrayBuffer | null | true, redirect) -> handle */
  ServiceFetchStart: 110,
  /** (opId, bindingIndex, method name, args: unknown[]) -> async the WorkerEntrypoint method's result, structured-cloned */
  ServiceCall: 111,
  // Queues (src/host/bindings/queues). A producer is a binding index; the host knows the queue and its tenant.
  /**
   * (opId, bindingIndex, messages: [contentType, body, delaySeconds | null][], batch delaySeconds | null, isBatch)
   * -> async null once the messages are stored. Bodies: json and text a string, bytes an ArrayBuffer, v8 any clonable value.
   */
  QueueSend: 120,
  // Workers Analytics Engine (src/host/bindings/analytics).
  /**
   * (bindingIndex, indexes: (string | ArrayBuffer | null)[] | null, blobs: same | null, doubles: number[] | null)
   * -> null. Synchronous: the host checks the point and queues it; it is written after the call.
   */
  AnalyticsWrite: 100,
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
 * dispatchScheduled(reqId, cron, scheduledTime) runs a cron trigger's scheduled() as a request that answers an empty 200 when it succeeds.
 * dispatchRpc(reqId, entrypoint | null, method, args) calls a WorkerEntrypoint's method for a service binding; its outcome
 * comes back as DoEventResult. dispatchQueue(reqId, queue, messages: [id, timestamp ms, body, attempts][]) runs queue();
 * its outcome comes back as DoEventResult too: [handlerOk, per message 0 | 1 ack | 2 retry, retry delays]. dispatchFetch takes a seventh argument, the entrypoint's export name, for such a binding's fetch().
 */
export const ENTRY_NAMES = ['install', 'dispatchFetch', 'complete', 'fireTimer', 'dropTimers', 'pullBody', 'reportRejection', 'dispatchScheduled', 'socketEvent', 'dispatchObject', 'dropObject', 'dispatchRpc', 'dispatchQueue'] as const;
/**
 * What `socketEvent(socketId, type, a, b, c)` delivers: a message (a: string | ArrayBuffer), or the end
 * of the socket (a: close code, b: reason, c: wasClean), after which the id is gone.
 */
export const SocketEventType = { Message: 0, Close: 1 } as const;
/**
 * What `dispatchObject(reqId, kind, className, id, name | null, handle, a, b, c, d)` delivers to a Durable
 * Object: a fetch (a: method, b: url, c: headers, d: body), an RPC call (a: method name, b: args), an
 * alarm (a: retryCount), a hibernatable WebSocket's message (a: socketId, b: string | ArrayBuffer) or its
 * close (a: socketId, b: code, c: reason, d: wasClean). `dropObject(handle)` forgets an object's instance
 * (evicted, hibernated, reset or moved).
 */
export const ObjectEventKind = { Fetch: 0, Call: 1, Alarm: 2, SocketMessage: 3, SocketClose: 4 } as const;
export type EntryName = (typeof ENTRY_NAMES)[number];

/** The global name under which the host hands the bridge to the runtime; the runtime deletes it at once. */
export const BRIDGE_GLOBAL = '__isletHost';
/** The global name under which the runtime hands its entries back; the host deletes it at once. */
export const ENTRIES_GLOBAL = '__isletRuntime';

/**
 * Modules the runtime provides to a tenant's module (`import { DurableObject } from "cloudflare:workers"`),
 * with the names each exports. The runtime hands their values to the host under BUILTIN_MODULES_KEY of
 * its entries object; the host links each as a small module re-exporting these names.
 */
export const BUILTIN_MODULES: Readonly<Record<string, readonly string[]>> = {
  'cloudflare:workers': ['DurableObject', 'WorkerEntrypoint', 'RpcTarget', 'env'],
};
export const BUILTIN_MODULES_KEY = 'modules';
