// Puts the Web platform on the global object, with the property attributes WebIDL gives interface
// objects and operations (writable, configurable, not enumerable), so tenants can shim them as usual.
import { atob, btoa } from '../web/base64/base64.js';
import { Blob } from '../web/blob/blob.js';
import { structuredClone } from '../web/clone/structured-clone.js';
import { console } from '../web/console/console.js';
import { Crypto, crypto } from '../web/crypto/crypto.js';
import { CryptoKey } from '../web/crypto/crypto-key.js';
import { SubtleCrypto } from '../web/crypto/subtle.js';
import { DOMException } from '../web/dom/dom-exception.js';
import { TextDecoder } from '../web/encoding/text-decoder.js';
import { TextEncoder } from '../web/encoding/text-encoder.js';
import { fetch } from '../web/fetch/fetch.js';
import { Headers } from '../web/fetch/headers.js';
import { Request } from '../web/fetch/request.js';
import { Response } from '../web/fetch/response.js';
import { Performance, performance } from '../web/performance/performance.js';
import { installStreamClasses } from '../web/streams/stream-class-globals.js';
import { loadStreams } from '../web/streams/streams.js';
import { clearInterval, clearTimeout, setInterval, setTimeout } from '../web/timers/timers.js';
import { URL } from '../web/url/url.js';
import { URLSearchParams } from '../web/url/url-search-params.js';
import { ExecutionContext } from '../runtime/execution-context.js';
import { DOM_GLOBALS } from '../web/dom/globals.js';
import { installURLPattern } from '../web/url/url-pattern.js';
import { installWebAssembly } from '../web/wasm/webassembly.js';
import { KVNamespace } from '../bindings/kv/kv-namespace.js';
import { CloseEvent } from '../web/websocket/close-event.js';
import { WebSocket, WebSocketPair } from '../web/websocket/websocket.js';
import { WebSocketRequestResponsePair } from '../web/websocket/request-response-pair.js';
import { Cache, CacheStorage, createCaches } from '../bindings/cache/cache.js';
import { PromisePrototypeThen, PromiseResolve, ReflectApply, TypeErrorCtor } from './primordials.js';

// @see https://html.spec.whatwg.org/multipage/timers-and-user-prompts.html#microtask-queuing
const resolved = PromiseResolve(undefined);
function queueMicrotask(callback: unknown): void {
  if (typeof callback !== 'function') throw new TypeErrorCtor("Failed to execute 'queueMicrotask': parameter 1 is not of type 'Function'.");
  PromisePrototypeThen(resolved, () => {
    // An exception is reported, as for any callback, and does not stop later microtasks.
    try { ReflectApply(callback, undefined, []); } catch (err) { console.error('Uncaught', err); }
  });
}

// @see https://developers.cloudflare.com/workers/runtime-apis/web-standards/#navigator
class Navigator {
  get userAgent(): string { return 'Cloudflare-Workers'; }
  get hardwareConcurrency(): number { return 1; }
  get language(): string { return 'en'; }
  get languages(): string[] { return ['en']; }
}
Object.defineProperty(Navigator.prototype, Symbol.toStringTag, { value: 'Navigator', configurable: true });

const STREAM_GLOBALS = [
  'ReadableStream', 'ReadableStreamDefaultReader', 'ReadableStreamBYOBReader', 'ReadableStreamDefaultController',
  'ReadableByteStreamController', 'ReadableStreamBYOBRequest', 'WritableStream', 'WritableStreamDefaultWriter',
  'WritableStreamDefaultController', 'TransformStream', 'TransformStreamDefaultController',
  'ByteLengthQueuingStrategy', 'CountQueuingStrategy',
] as const;

export function installGlobals(global: Record<string, unknown>): void {
  const values: Record<string, unknown> = {
    Request, Response, Headers, URL, URLSearchParams, TextEncoder, TextDecoder, Blob, DOMException,
    Crypto, crypto, CryptoKey, SubtleCrypto, Performance, performance, console, fetch, atob, btoa, structuredClone, queueMicrotask,
    setTimeout, setInterval, clearTimeout, clearInterval, ExecutionContext, KVNamespace,
    WebSocket, WebSocketPair, WebSocketRequestResponsePair, CloseEvent,
    navigator: new Navigator(),
    Cache, CacheStorage, caches: createCaches(),
    ...DOM_GLOBALS,
  };
  for (const name of Object.keys(values)) {
    const value = values[name];
    // The bundler renames a class that refers to itself (Request becomes _Request); an interface
    // object's name is observable, so it is set back here rather than paying for keepNames on every
    // function of the runtime.
    if (typeof value === 'function' && value.name !== name && /^[A-Z]/.test(name)) {
      Object.defineProperty(value, 'name', { value: name, configurable: true });
    }
    Object.defineProperty(global, name, { value, writable: true, configurable: true, enumerable: false });
  }
  Object.defineProperty(global, 'self', { value: global, writable: true, configurable: true, enumerable: false });
  installURLPattern(global);
  installStreamClasses(global);
  installWebAssembly();
  // Streams are evaluated on first touch of any of their globals.
  for (const name of STREAM_GLOBALS) {
    Object.defineProperty(global, name, {
      configurable: true,
      enumerable: false,
      get() {
        const streams = loadStreams() as unknown as Record<string, unknown>;
        for (const n of STREAM_GLOBALS) {
          Object.defineProperty(global, n, { value: streams[n], writable: true, configurable: true, enumerable: false });
        }
        return streams[name];
      },
      set(value: unknown) {
        Object.defineProperty(global, name, { value, writable: true, configurable: true, enumerable: false });
      },
    });
  }
}
