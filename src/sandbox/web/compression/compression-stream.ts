// @see https://compression.spec.whatwg.org/
// CompressionStream and DecompressionStream. zlib runs on the host, on a handle like a CryptoKey's;
// the isolate holds the streams. Evaluated on first use of either global, with what it needs of the
// runtime handed in (see streams/stream-class-globals.ts).
//
// The readable side pulls: input goes to the host in slices of at most INPUT_SLICE bytes, output
// comes back in slices of at most 64 KB, and the next slice is only asked for once the reader has
// taken the last one. So a small chunk that inflates to gigabytes costs the host one slice at a time
// and the isolate only what its reader keeps, and a write resolves once its output has been read.
import type { ChunkBytes } from '../streams/byte-chunk.js';
import type { StreamClassSupport } from '../streams/stream-class-globals.js';
import type { AnyReadableStream, loadStreams } from '../streams/streams.js';
import { createStreamHandles } from './stream-handles.js';

type AnyWritableStream = InstanceType<ReturnType<typeof loadStreams>['WritableStream']>;
type ReadableController = { enqueue(chunk: Uint8Array): void; close(): void; error(e: unknown): void; readonly desiredSize: number | null };
type WritableController = { error(e: unknown): void };
type StepReply = [ArrayBuffer | null, boolean];
interface Pair { readable: AnyReadableStream; writable: AnyWritableStream }

const INPUT_SLICE = 64 * 1024;
const BAD_FORMAT = "The compression format must be either 'deflate', 'deflate-raw' or 'gzip'.";

export function define(support: StreamClassSupport): Record<string, unknown> {
  const {
    Op, hostCall, loadStreams, DOMException, byteChunk, copyChunk, ArrayBufferPrototypeSlice, MathMin, ObjectDefineProperty, PromiseCtor,
    PromiseResolve, SymbolToStringTag, TypeErrorCtor, Uint8ArrayCtor,
  } = support;
  const handles = createStreamHandles(support);
  const resolved = PromiseResolve(undefined);

  /** @see https://compression.spec.whatwg.org/#enumdef-compressionformat: a WebIDL enum, so ToString first. */
  function formatOf(format: unknown, interfaceName: string, argumentCount: number): string {
    if (argumentCount < 1) throw new TypeErrorCtor(`Failed to construct '${interfaceName}': 1 argument required, but only 0 present.`);
    const name = `${format as string}`;
    if (name !== 'gzip' && name !== 'deflate' && name !== 'deflate-raw') throw new TypeErrorCtor(BAD_FORMAT);
    return name;
  }

  /** A zlib state on the host; a full table is swept of dropped streams and asked once more. */
  function openHandle(format: string, decompress: boolean): number {
    let handle = hostCall(Op.CompressionCreate, format, decompress) as number | null;
    if (handle === null && handles.sweep() > 0) handle = hostCall(Op.CompressionCreate, format, decompress) as number | null;
    if (handle === null) throw new DOMException('This worker has too many compression streams open at once.', 'QuotaExceededError');
    return handle;
  }

  /** The readable and writable sides of one host zlib stream. */
  function zlibPair(format: string, decompress: boolean): Pair {
    const { ReadableStream, WritableStream } = loadStreams();
    const handle = openHandle(format, decompress);
    // Held through a WeakRef by stream-handles and reachable from both sides' algorithms below, so the
    // handle is released by a sweep only once the tenant can reach neither side.
    const state = { open: true, wake: null as (() => void) | null, pulled: false };
    let readable!: ReadableController;
    let writable!: WritableController;

    const wake = (): void => {
      const resume = state.wake;
      state.wake = null;
      if (resume !== null) resume();
    };
    /**
     * Resolves once the reader wants more, so output is produced no faster than it is read. A read
     * waiting on an empty queue shows as a pull, which may come before anything waits for it.
     */
    const room = (): Promise<void> => {
      if (state.pulled || (readable.desiredSize ?? 0) > 0 || !state.open) {
        state.pulled = false;
        return resolved;
      }
      return new PromiseCtor<void>((resolve) => { state.wake = resolve; });
    };
    /** The stream failed or was given up: the handle goes now, unless the host already freed it. */
    const shut = (hostFreed: boolean): void => {
      if (!state.open) return;
      state.open = false;
      if (hostFreed) handles.untrack(handle);
      else handles.release(handle);
      wake();
    };
    const fail = (err: unknown, hostFreed: boolean): never => {
      shut(hostFreed);
      readable.error(err);
      throw err;
    };
    const step = (op: number, input?: ArrayBuffer): StepReply => {
      try {
        return (input === undefined ? hostCall(op, handle) : hostCall(op, handle, input)) as StepReply;
      } catch (err) {
        // The host frees a stream whose step failed; both sides error with the TypeError it reported.
        return fail(err, true);
      }
    };
    /** Enqueues a step's output, then the rest of it as the reader asks; false when the stream shut meanwhile. */
    const drain = async (reply: StepReply): Promise<boolean> => {
      for (;;) {
        const output = reply[0];
        if (output !== null && output.byteLength > 0) readable.enqueue(new Uint8ArrayCtor(output));
        if (!reply[1]) return state.open;
        await room();
        if (!state.open) return false;
        reply = step(Op.CompressionRead);
      }
    };

    const source = {
      start(controller: ReadableController): void { readable = controller; },
      pull(): void {
        if (state.wake === null) state.pulled = true;
        else wake();
      },
      cancel(reason: unknown): void {
        shut(false);
        writable.error(reason);
      },
    };
    const sink = {
      start(controller: WritableController): void { writable = controller; },
      async write(chunk: unknown): Promise<void> {
        let bytes: ChunkBytes;
        try {
          bytes = byteChunk(chunk);
        } catch (err) {
          return fail(err, false);
        }
        if (bytes.length === 0 || !state.open) return;
        // Copied before anything awaits, as the spec's transform reads the chunk at once.
        const input = copyChunk(bytes);
        const length = bytes.length;
        for (let offset = 0; offset < length; offset += INPUT_SLICE) {
          if (offset > 0) {
            await room();
            if (!state.open) return;
          }
          const slice = length <= INPUT_SLICE ? input : ArrayBufferPrototypeSlice(input, offset, MathMin(offset + INPUT_SLICE, length)) as ArrayBuffer;
          if (!(await drain(step(Op.CompressionWrite, slice)))) return;
        }
      },
      async close(): Promise<void> {
        if (!state.open) return;
        if (!(await drain(step(Op.CompressionFinish)))) return;
        // The host released the stream with its last slice.
        state.open = false;
        handles.untrack(handle);
        readable.close();
      },
      abort(reason: unknown): void {
        shut(false);
        readable.error(reason);
      },
    };
    const pair: Pair = {
      // Like a TransformStream's readable side, a high-water mark of 0: nothing is made ahead of a read.
      readable: new ReadableStream(source as never, { highWaterMark: 0 }) as AnyReadableStream,
      writable: new WritableStream(sink as never) as AnyWritableStream,
    };
    handles.track(state, handle);
    return pair;
  }

  /** @see https://compression.spec.whatwg.org/#compressionstream */
  class CompressionStream {
    readonly #pair: Pair;
    constructor(format: unknown) {
      if (new.target === undefined) throw new TypeErrorCtor("Failed to construct 'CompressionStream': Please use the 'new' operator.");
      this.#pair = zlibPair(formatOf(format, 'CompressionStream', arguments.length), false);
    }
    get readable(): AnyReadableStream { return this.#pair.readable; }
    get writable(): AnyWritableStream { return this.#pair.writable; }
  }

  /** @see https://compression.spec.whatwg.org/#decompressionstream */
  class DecompressionStream {
    readonly #pair: Pair;
    constructor(format: unknown) {
      if (new.target === undefined) throw new TypeErrorCtor("Failed to construct 'DecompressionStream': Please use the 'new' operator.");
      this.#pair = zlibPair(formatOf(format, 'DecompressionStream', arguments.length), true);
    }
    get readable(): AnyReadableStream { return this.#pair.readable; }
    get writable(): AnyWritableStream { return this.#pair.writable; }
  }
  ObjectDefineProperty(CompressionStream.prototype, SymbolToStringTag, { value: 'CompressionStream', configurable: true });
  ObjectDefineProperty(DecompressionStream.prototype, SymbolToStringTag, { value: 'DecompressionStream', configurable: true });
  return { CompressionStream, DecompressionStream };
}
