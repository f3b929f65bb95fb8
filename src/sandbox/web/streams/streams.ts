// Streams come from web-streams-polyfill, the reference-derived implementation, evaluated on first
// use only: most requests never touch a stream, and an isolate should not pay for one it never uses.
import { concatBytes } from '../encoding/bytes.js';
import type * as Ponyfill from 'web-streams-polyfill';
import {
  ArrayPrototypePush, ObjectGetPrototypeOf, PromiseCtor, PromiseOriginals, RangeErrorCtor, ReflectDefineProperty, ReflectDeleteProperty,
  ReflectGetOwnPropertyDescriptor, SymbolIterator, TypeErrorCtor, Uint8ArrayCtor, WeakMapCtor, WeakMapPrototypeGet, WeakMapPrototypeSet,
  globalThisRef,
} from '../../bootstrap/primordials.js';

type StreamsModule = typeof Ponyfill;
let streams: StreamsModule | null = null;

/**
 * The polyfill captures Promise, Promise.prototype.then, Promise.resolve and Promise.reject while it
 * evaluates, and esbuild's helper that hands a lazily evaluated module's exports over iterates an
 * array and calls Function.prototype.call. That may happen after tenant code replaced any of them;
 * they are the originals for as long as `load` runs.
 */
const ArrayPrototype = Array.prototype as unknown as Record<PropertyKey, unknown>;
const ArrayIteratorPrototype = ObjectGetPrototypeOf((ArrayPrototype[SymbolIterator] as () => object).call([])) as Record<PropertyKey, unknown>;
const FunctionPrototype = Function.prototype as unknown as Record<PropertyKey, unknown>;
const ORIGINALS: [object, PropertyKey, unknown][] = [
  [globalThisRef, 'Promise', PromiseCtor],
  [PromiseCtor.prototype, 'then', PromiseOriginals.then],
  [PromiseCtor, 'resolve', PromiseOriginals.resolve],
  [PromiseCtor, 'reject', PromiseOriginals.reject],
  [ArrayPrototype, SymbolIterator, ArrayPrototype[SymbolIterator]],
  [ArrayIteratorPrototype, 'next', ArrayIteratorPrototype.next],
  [FunctionPrototype, 'call', FunctionPrototype.call],
];

export function withOriginalBuiltins<T>(load: () => T): T {
  // A tenant that froze what it replaced keeps its version; nothing here may throw.
  const saved: (PropertyDescriptor | undefined)[] = [];
  for (let i = 0; i < ORIGINALS.length; i++) {
    // By index: destructuring an array would call the very iterator that may be replaced.
    const entry = ORIGINALS[i]!;
    saved[i] = ReflectGetOwnPropertyDescriptor(entry[0], entry[1]);
    ReflectDefineProperty(entry[0], entry[1], { value: entry[2], writable: true, configurable: true, enumerable: false });
  }
  try {
    return load();
  } finally {
    for (let i = 0; i < ORIGINALS.length; i++) {
      const entry = ORIGINALS[i]!;
      const desc = saved[i];
      if (desc === undefined) ReflectDeleteProperty(entry[0], entry[1]);
      else ReflectDefineProperty(entry[0], entry[1], desc);
    }
  }
}

export function loadStreams(): StreamsModule {
  if (streams === null) streams = withOriginalBuiltins(() => require('web-streams-polyfill') as StreamsModule);
  return streams;
}

export type AnyReadableStream = InstanceType<StreamsModule['ReadableStream']>;

export function isReadableStream(value: unknown): value is AnyReadableStream {
  return streams !== null && value instanceof streams.ReadableStream;
}

// Readable sides of FixedLengthStreams and their lengths: a response with one as its body is sent
// with that content-length, as on Workers.
const declaredLengths = new WeakMapCtor<object, number>();
export function declareStreamLength(stream: object, length: number): void { WeakMapPrototypeSet(declaredLengths, stream, length); }
export function declaredStreamLength(stream: object): number | null { return WeakMapPrototypeGet(declaredLengths, stream) ?? null; }

/** The spec's "disturbed": a read or a cancel has happened. The polyfill keeps it as _disturbed. */
export function isStreamDisturbed(stream: AnyReadableStream): boolean {
  return (stream as unknown as { _disturbed?: boolean })._disturbed === true;
}

/** A stream that yields these bytes as one chunk. */
export function streamOfBytes(bytes: Uint8Array): AnyReadableStream {
  const { ReadableStream } = loadStreams();
  return new ReadableStream<Uint8Array>({
    type: 'bytes',
    start(controller) {
      if (bytes.byteLength > 0) controller.enqueue(bytes.slice());
      controller.close();
    },
  }) as AnyReadableStream;
}

/** The body stream of a body already read through text() and friends: locked, disturbed, done. */
export function usedStream(): AnyReadableStream {
  const stream = streamOfBytes(new Uint8ArrayCtor(0));
  void stream.getReader().read();
  return stream;
}

/** A stream chunk as bytes, or null when the chunk is not bytes at all. */
export function chunkBytes(value: unknown): Uint8Array | null {
  if (value instanceof Uint8ArrayCtor) return value;
  if (value instanceof ArrayBuffer) return new Uint8ArrayCtor(value);
  if (ArrayBuffer.isView(value)) return new Uint8ArrayCtor(value.buffer, value.byteOffset, value.byteLength);
  return null;
}

/** Reads a stream of byte chunks to the end; stops with a RangeError past `limit` bytes. */
export async function readAllBytes(stream: AnyReadableStream, limit = Infinity): Promise<Uint8Array> {
  const bytes = await readBytesUpTo(stream, limit);
  if (bytes === null) throw new RangeErrorCtor(`Stream exceeded the limit of ${limit} bytes.`);
  return bytes;
}

/** Reads a stream of byte chunks to the end, or cancels it and answers null once it passes `limit` bytes. */
export async function readBytesUpTo(stream: AnyReadableStream, limit: number): Promise<Uint8Array | null> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    const chunk = chunkBytes(value);
    if (chunk === null) {
      await reader.cancel();
      throw new TypeErrorCtor('This ReadableStream did not return bytes.');
    }
    total += chunk.byteLength;
    if (total > limit) {
      await reader.cancel();
      return null;
    }
    ArrayPrototypePush(chunks, chunk);
  }
  return chunks.length === 1 ? chunks[0]! : concatBytes(chunks, total);
}
