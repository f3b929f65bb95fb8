// One compression or decompression stream of an isolate, stepped synchronously by node:zlib.
//
// Node has no public synchronous *streaming* zlib API: zlib.gzipSync() and friends take a whole
// buffer and close their engine when they return. The engine under a zlib stream object does have a
// synchronous step, `_handle.writeSync` with its `_writeState`, which is what those *Sync functions
// drive. This file drives it directly, one step per call, each step writing at most OUTPUT_SLICE
// bytes, so a few bytes of input (a decompression bomb) cannot make one call allocate more than that.
// It is the only user of these internals; the check in the constructor fails loudly should a Node
// upgrade move them.
import zlib from 'node:zlib';

export type CompressionFormat = 'gzip' | 'deflate' | 'deflate-raw';
export const COMPRESSION_FORMATS: readonly string[] = ['gzip', 'deflate', 'deflate-raw'];

/** The most output one step produces. */
export const OUTPUT_SLICE = 64 * 1024;

/** What the tenant is told; the engine's own words stay on the host. Texts as Workers words them. */
export const CompressionMessage = {
  Corrupt: 'Decompression failed.',
  Truncated: 'Called close() on a decompression stream with incomplete data',
  Trailing: 'Trailing bytes after end of compressed data',
} as const;

export class CompressionFailure extends Error {
  override name = 'CompressionFailure';
}

export interface Step {
  /** A fresh copy of what this step produced, or null when it produced nothing. */
  output: ArrayBuffer | null;
  /** The engine may have more output for the input it holds: call next() for it. */
  more: boolean;
}

interface NativeHandle {
  writeSync(flush: number, input: Uint8Array, inOff: number, inLen: number, out: Uint8Array, outOff: number, outLen: number): void;
  onerror: (message: string, errno: number, code: string) => void;
}
interface ZlibInternals { _handle?: NativeHandle | null; _writeState?: Uint32Array }

const { Z_NO_FLUSH, Z_FINISH } = zlib.constants;
const EMPTY = new Uint8Array(0);
// Steps are synchronous and copy their output out at once, so every engine shares one buffer.
const OUTPUT = new Uint8Array(OUTPUT_SLICE);

function createStream(format: CompressionFormat, decompress: boolean): zlib.Gzip | zlib.Gunzip | zlib.Deflate | zlib.Inflate | zlib.DeflateRaw | zlib.InflateRaw {
  // The stream object's own output buffer is never used; the smallest one zlib allows is enough.
  const options = { chunkSize: zlib.constants.Z_MIN_CHUNK };
  if (!decompress) {
    return format === 'gzip' ? zlib.createGzip(options) : format === 'deflate' ? zlib.createDeflate(options) : zlib.createDeflateRaw(options);
  }
  // rejectGarbageAfterEnd stops a gzip decoder at the end of the first member, as the spec asks.
  const strict = { ...options, rejectGarbageAfterEnd: true };
  return format === 'gzip' ? zlib.createGunzip(strict) : format === 'deflate' ? zlib.createInflate(strict) : zlib.createInflateRaw(strict);
}

export class ZlibEngine {
  readonly #stream: zlib.Zlib & { close(): void };
  readonly #handle: NativeHandle;
  readonly #state: Uint32Array;
  readonly #decompress: boolean;
  #input: Uint8Array = EMPTY;
  #offset = 0;
  #flush: number = Z_NO_FLUSH;
  #error: string | null = null;
  #closed = false;

  constructor(format: CompressionFormat, decompress: boolean) {
    const stream = createStream(format, decompress);
    const internals = stream as unknown as ZlibInternals;
    const handle = internals._handle;
    const state = internals._writeState;
    if (handle === null || handle === undefined || typeof handle.writeSync !== 'function' || !(state instanceof Uint32Array)) {
      stream.close();
      throw new Error('node:zlib no longer exposes the synchronous engine step that compression streams use');
    }
    this.#stream = stream;
    this.#handle = handle;
    this.#state = state;
    this.#decompress = decompress;
    // zlib reports a failed step here, synchronously. Node's own handler would destroy the stream and
    // emit 'error' later, where nobody listens.
    handle.onerror = (message) => { this.#error = message; };
  }

  get closed(): boolean { return this.#closed; }
  /** finish() has been called: once a step has no more output, the stream is complete. */
  get finishing(): boolean { return this.#flush === Z_FINISH; }

  /** Takes the next input; the engine must have used up the previous one. */
  write(input: Uint8Array): Step {
    if (this.#flush === Z_FINISH) throw new CompressionFailure('Write after close.');
    if (this.#offset < this.#input.byteLength) throw new CompressionFailure('The previous input is not used up yet.');
    this.#input = input;
    this.#offset = 0;
    return this.#step();
  }

  /** The end of the input: what remains comes out, and a decompressor checks the data was whole. */
  finish(): Step {
    if (this.#offset < this.#input.byteLength) throw new CompressionFailure('The previous input is not used up yet.');
    this.#flush = Z_FINISH;
    this.#input = EMPTY;
    this.#offset = 0;
    return this.#step();
  }

  /** More output for the input already given. */
  next(): Step {
    return this.#step();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#input = EMPTY;
    this.#stream.close();
  }

  #step(): Step {
    if (this.#closed) throw new CompressionFailure('The stream is closed.');
    const available = this.#input.byteLength - this.#offset;
    this.#handle.writeSync(this.#flush, this.#input, this.#offset, available, OUTPUT, 0, OUTPUT_SLICE);
    if (this.#error !== null) {
      const truncated = this.#error === 'unexpected end of file' && this.#flush === Z_FINISH;
      this.close();
      throw new CompressionFailure(truncated ? CompressionMessage.Truncated : CompressionMessage.Corrupt);
    }
    const outLeft = this.#state[0]!;
    const inLeft = this.#state[1]!;
    this.#offset += available - inLeft;
    const produced = OUTPUT_SLICE - outLeft;
    const output = produced > 0 ? OUTPUT.buffer.slice(0, produced) : null;
    // A full output buffer may mean more is waiting.
    if (outLeft === 0) return { output, more: true };
    if (inLeft > 0) {
      // Room to write but input left unread: the compressed data ended before the input did.
      this.close();
      throw new CompressionFailure(this.#decompress ? CompressionMessage.Trailing : CompressionMessage.Corrupt);
    }
    this.#input = EMPTY;
    this.#offset = 0;
    return { output, more: false };
  }
}
