// The bodies of a subrequest, which stay on the host behind its handle (Op.FetchStart). The response
// body becomes a ReadableStream only when someone asks for one (most are read whole, and a stream
// costs the isolate the streams implementation on first use); its pulls ask the host for the origin's
// next chunk as it arrives. Read whole (arrayBuffer(), text(), json()) and still untouched, it is
// gathered on the host and crosses once; returned untouched as a response body, the host sends it on
// without it entering the isolate. A request body that is a stream is written out chunk by chunk, each
// write answered once the connection has taken the chunk.
import { Op } from '../../../shared/boundary.js';
import { hostAsync, hostNotify } from '../../bootstrap/host.js';
import {
  PromisePrototypeThen, PromiseReject, TypeErrorCtor, Uint8ArrayCtor, WeakMapCtor, WeakMapPrototypeGet, WeakMapPrototypeSet,
} from '../../bootstrap/primordials.js';
import { exactBuffer } from '../encoding/bytes.js';
import { chunkBytes, isStreamDisturbed, loadStreams, type AnyReadableStream } from '../streams/streams.js';

interface Reader {
  read(): Promise<{ done: boolean; value?: unknown }>;
  cancel(reason?: unknown): Promise<void>;
}

export class SubrequestResponseBody {
  readonly #handle: number;
  #aborted = false;
  #reason: unknown = undefined;
  #stream: AnyReadableStream | null = null;
  #error: ((reason: unknown) => void) | null = null;

  constructor(handle: number) {
    this.#handle = handle;
  }

  /** The body as a ReadableStream, made on first use. */
  stream(): AnyReadableStream {
    if (this.#stream !== null) return this.#stream;
    const { ReadableStream } = loadStreams();
    const handle = this.#handle;
    // A high-water mark of 0: nothing is read from the origin before the worker reads.
    const stream = new ReadableStream<Uint8Array>({
      type: 'bytes',
      start: (controller) => {
        this.#error = (reason) => {
          try { controller.error(reason); } catch { /* already closed or errored */ }
        };
        if (this.#aborted) controller.error(this.#reason);
      },
      pull: (controller) => PromisePrototypeThen(hostAsync(Op.FetchBodyRead, handle, false), (chunk) => {
        if (this.#aborted) return;
        if (chunk === null) controller.close();
        // A byte stream refuses empty chunks; the stream pulls again while a read is waiting.
        else if ((chunk as ArrayBuffer).byteLength > 0) controller.enqueue(new Uint8ArrayCtor(chunk as ArrayBuffer));
      }, (err: unknown) => {
        if (!this.#aborted) throw err;
      }),
      cancel: () => {
        hostNotify(Op.FetchAbort, handle);
      },
    }, { highWaterMark: 0 }) as AnyReadableStream;
    WeakMapPrototypeSet(streams, stream, this);
    this.#stream = stream;
    return stream;
  }

  /** All of the body, gathered by the host; the caller has made sure nobody read from it. */
  readWhole(): Promise<Uint8Array> {
    if (this.#aborted) return PromiseReject(this.#reason);
    return PromisePrototypeThen(hostAsync(Op.FetchBodyRead, this.#handle, true), (whole) =>
      whole === null ? new Uint8ArrayCtor(0) : new Uint8ArrayCtor(whole as ArrayBuffer), (err: unknown) => {
      throw this.#aborted ? this.#reason : err;
    });
  }

  /** The handle, for the host to send the body on; null once aborted. The caller has made sure nobody read from it. */
  handleToSend(): number | null {
    return this.#aborted ? null : this.#handle;
  }

  /** The fetch was aborted: the body errors with the signal's reason (the host has dropped it already). */
  abort(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    if (this.#error !== null) this.#error(reason);
  }
}

const streams = new WeakMapCtor<object, SubrequestResponseBody>();

/** The subrequest body behind a stream nobody has read from yet, locked from here on as a reader would leave it; null for any other stream. */
function untouched(stream: AnyReadableStream): SubrequestResponseBody | null {
  const body = WeakMapPrototypeGet(streams, stream);
  if (body === undefined || body.handleToSend() === null || stream.locked || isStreamDisturbed(stream)) return null;
  stream.getReader();
  return body;
}

/** The whole of a subrequest's response body stream nobody has read from yet, gathered by the host; null for any other stream. */
export function readSubrequestWhole(stream: AnyReadableStream): Promise<Uint8Array> | null {
  return untouched(stream)?.readWhole() ?? null;
}

/** The handle of a subrequest's response body stream nobody has read from yet, for the host to send on; null for any other stream. */
export function takeSubrequestBody(stream: AnyReadableStream): number | null {
  return untouched(stream)?.handleToSend() ?? null;
}

/**
 * Writes `stream` out as the body of subrequest `handle`, one chunk per write, each once the last was
 * taken. A stream that fails aborts the subrequest and is reported to `onError`; a subrequest that no
 * longer takes its body (it failed, was aborted, or the origin answered early) cancels the stream.
 */
export function writeRequestBody(handle: number, stream: AnyReadableStream, onError: (err: unknown) => void): void {
  const reader = stream.getReader() as unknown as Reader;
  const stop = (): void => { PromisePrototypeThen(reader.cancel(), undefined, () => {}); };
  const fail = (err: unknown): void => {
    hostNotify(Op.FetchAbort, handle);
    onError(err);
  };
  const next = (): void => {
    PromisePrototypeThen(reader.read(), (result) => {
      if (result.done) {
        PromisePrototypeThen(hostAsync(Op.FetchBodyWrite, handle, null), undefined, () => {});
        return;
      }
      const bytes = chunkBytes(result.value);
      if (bytes === null) {
        stop();
        fail(new TypeErrorCtor('This ReadableStream did not return bytes.'));
        return;
      }
      if (bytes.byteLength === 0) { next(); return; }
      PromisePrototypeThen(hostAsync(Op.FetchBodyWrite, handle, exactBuffer(bytes)), next, stop);
    }, fail);
  };
  next();
}
