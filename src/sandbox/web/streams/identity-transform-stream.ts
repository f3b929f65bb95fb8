// Workers' IdentityTransformStream and FixedLengthStream: byte chunks written to the writable side
// come out of the readable side unchanged. Evaluated on first use of either global, with what it
// needs of the runtime handed in (see stream-class-globals.ts).
// @see https://developers.cloudflare.com/workers/runtime-apis/streams/transformstream/
//
// As in Workers, the two sides meet: a write resolves once a read has taken its bytes (nothing is
// queued in between), and the readable side is a byte stream, so BYOB readers work. A
// FixedLengthStream also checks the total: a write past `expectedLength`, or a close short of it,
// errors both sides with a TypeError.
import type { StreamClassSupport } from './stream-class-globals.js';
import type { AnyReadableStream, loadStreams } from './streams.js';

type AnyWritableStream = InstanceType<ReturnType<typeof loadStreams>['WritableStream']>;
interface ReadableController { enqueue(chunk: Uint8Array): void; close(): void; error(e: unknown): void }
interface WritableController { error(e: unknown): void }
interface PendingWrite { bytes: Uint8Array; resolve: () => void; reject: (e: unknown) => void }

const MAX_SAFE_INTEGER = 2 ** 53 - 1;
const TOO_MANY = 'Attempt to write too many bytes through a FixedLengthStream.';
const TOO_FEW = 'FixedLengthStream did not see all expected bytes before close().';
const BAD_LENGTH = 'FixedLengthStream requires an integer expected length less than 2^53.';

export function define(support: StreamClassSupport): Record<string, unknown> {
  const {
    loadStreams, declareStreamLength, byteChunk, copyChunk, MathMin, NumberCtor, NumberIsInteger, ObjectDefineProperty, ObjectGetPrototypeOf, ObjectSetPrototypeOf,
    PromiseCtor, SymbolToStringTag, TypeErrorCtor, Uint8ArrayCtor,
  } = support;

  /** The `highWaterMark` of an IdentityTransformStreamQueuingStrategy, in bytes, or null when absent. */
  function highWaterMarkOf(strategy: unknown): number | null {
    if (strategy === undefined || strategy === null) return null;
    if (typeof strategy !== 'object' && typeof strategy !== 'function') {
      throw new TypeErrorCtor('The queuing strategy must be an object.');
    }
    const value: unknown = (strategy as { highWaterMark?: unknown }).highWaterMark;
    if (value === undefined) return null;
    const number = NumberCtor(value);
    if (!(number >= 0)) throw new TypeErrorCtor('The highWaterMark must be a non-negative number.');
    return number;
  }

  /** The pair of streams; `limit` is a FixedLengthStream's expected length, null for no limit. */
  function identityPair(highWaterMark: number | null, limit: number | null): { readable: AnyReadableStream; writable: AnyWritableStream } {
    const { ReadableStream, WritableStream } = loadStreams();
    let readable!: ReadableController;
    let writable!: WritableController;
    let waitingRead: (() => void) | null = null;
    let waitingWrite: PendingWrite | null = null;
    let written = 0;

    const fail = (error: unknown): never => {
      readable.error(error);
      throw error;
    };
    const source = {
      type: 'bytes',
      start(controller: ReadableController): void { readable = controller; },
      // Called when a read finds nothing queued: it takes the waiting write, or waits for the next one.
      pull(): Promise<void> | undefined {
        const write = waitingWrite;
        if (write !== null) {
          waitingWrite = null;
          readable.enqueue(write.bytes);
          write.resolve();
          return undefined;
        }
        return new PromiseCtor<void>((resolve) => { waitingRead = resolve; });
      },
      cancel(reason: unknown): void {
        writable.error(reason);
        const write = waitingWrite;
        waitingWrite = null;
        write?.reject(reason);
      },
    };
    const sink = {
      start(controller: WritableController): void { writable = controller; },
      write(chunk: unknown): Promise<void> | undefined {
        let bytes;
        try {
          bytes = byteChunk(chunk);
        } catch (err) {
          return fail(err);
        }
        if (limit !== null && written + bytes.length > limit) fail(new TypeErrorCtor(TOO_MANY));
        written += bytes.length;
        if (bytes.length === 0) return undefined;
        // The readable side takes ownership of what it is given, so it gets a copy, not the tenant's buffer.
        const copy = new Uint8ArrayCtor(copyChunk(bytes));
        const read = waitingRead;
        if (read !== null) {
          waitingRead = null;
          readable.enqueue(copy);
          read();
          return undefined;
        }
        return new PromiseCtor<void>((resolve, reject) => { waitingWrite = { bytes: copy, resolve, reject }; });
      },
      close(): void {
        if (limit !== null && written < limit) fail(new TypeErrorCtor(TOO_FEW));
        readable.close();
      },
      abort(reason: unknown): void {
        readable.error(reason);
      },
    };
    const size = (chunk: unknown): number => {
      try {
        return byteChunk(chunk).length;
      } catch {
        // Not bytes: write() reports it; the queue only needs a number.
        return 0;
      }
    };
    // A FixedLengthStream never needs a queue larger than what it may carry. At least one byte, or a
    // pipe waiting for room before each write would never start.
    const mark = highWaterMark === null ? null : limit === null ? highWaterMark : MathMin(highWaterMark, limit);
    const strategy = mark === null ? undefined : { highWaterMark: mark > 1 ? mark : 1, size };
    const pair = {
      readable: new ReadableStream(source as never, { highWaterMark: 0 }) as AnyReadableStream,
      writable: new WritableStream(sink as never, strategy as never) as AnyWritableStream,
    };
    if (limit !== null) declareStreamLength(pair.readable, limit);
    return pair;
  }

  let pendingLimit: number | null = null;

  class IdentityTransformStream {
    readonly #readable: AnyReadableStream;
    readonly #writable: AnyWritableStream;

    constructor(queuingStrategy: unknown = undefined) {
      if (new.target === undefined) throw new TypeErrorCtor("Failed to construct 'IdentityTransformStream': Please use the 'new' operator.");
      const limit = pendingLimit;
      pendingLimit = null;
      const pair = identityPair(highWaterMarkOf(queuingStrategy), limit);
      this.#readable = pair.readable;
      this.#writable = pair.writable;
    }

    get readable(): AnyReadableStream { return this.#readable; }
    get writable(): AnyWritableStream { return this.#writable; }
  }

  class FixedLengthStream extends IdentityTransformStream {
    constructor(expectedLength: unknown, queuingStrategy: unknown = undefined) {
      if (arguments.length < 1) throw new TypeErrorCtor("Failed to construct 'FixedLengthStream': 1 argument required, but only 0 present.");
      const length = typeof expectedLength === 'bigint' ? NumberCtor(expectedLength) : expectedLength;
      if (typeof length !== 'number' || !NumberIsInteger(length) || length < 0 || length > MAX_SAFE_INTEGER) {
        throw new TypeErrorCtor(BAD_LENGTH);
      }
      // The base constructor takes the limit from here: its own parameters are the public ones.
      pendingLimit = length;
      super(queuingStrategy);
    }
  }

  // Workers' classes are TransformStreams (`instanceof TransformStream` holds); the stream
  // implementation is only evaluated now, so the chain is completed here. Their own readable and
  // writable accessors come first in it.
  {
    const { TransformStream } = loadStreams();
    if (ObjectGetPrototypeOf(IdentityTransformStream.prototype) !== TransformStream.prototype) {
      ObjectSetPrototypeOf(IdentityTransformStream.prototype, TransformStream.prototype);
      ObjectSetPrototypeOf(IdentityTransformStream, TransformStream);
    }
  }
  ObjectDefineProperty(IdentityTransformStream.prototype, SymbolToStringTag, { value: 'IdentityTransformStream', configurable: true });
  ObjectDefineProperty(FixedLengthStream.prototype, SymbolToStringTag, { value: 'FixedLengthStream', configurable: true });
  return { IdentityTransformStream, FixedLengthStream };
}
