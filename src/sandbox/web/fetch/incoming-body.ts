// The body of an incoming request the host did not buffer: a ReadableStream whose pulls ask the host
// for the client's next chunk, as the client sends it. Read whole (arrayBuffer(), text(), json(),
// formData()) and still untouched, it is gathered on the host and crosses once: one copy into the
// isolate instead of thousands of chunk calls and a second copy to join them.
import { Op } from '../../../shared/boundary.js';
import { hostAsync, hostNotify } from '../../bootstrap/host.js';
import { PromisePrototypeThen, Uint8ArrayCtor, WeakMapCtor, WeakMapPrototypeGet, WeakMapPrototypeSet } from '../../bootstrap/primordials.js';
import { isStreamDisturbed, loadStreams, type AnyReadableStream } from '../streams/streams.js';

const incoming = new WeakMapCtor<object, number>();

export function incomingBodyStream(reqId: number): AnyReadableStream {
  const { ReadableStream } = loadStreams();
  // A high-water mark of 0: nothing is asked of the client before the worker reads.
  const stream = new ReadableStream<Uint8Array>({
    type: 'bytes',
    pull(controller) {
      return PromisePrototypeThen(hostAsync(Op.RequestBodyRead, reqId, false), (chunk) => {
        if (chunk === null) controller.close();
        // A byte stream refuses empty chunks; the stream pulls again while a read is waiting.
        else if ((chunk as ArrayBuffer).byteLength > 0) controller.enqueue(new Uint8ArrayCtor(chunk as ArrayBuffer));
      });
    },
    cancel() {
      hostNotify(Op.RequestBodyCancel, reqId);
    },
  }, { highWaterMark: 0 }) as AnyReadableStream;
  WeakMapPrototypeSet(incoming, stream, reqId);
  return stream;
}

/** The whole of an incoming body nobody has read from yet, gathered by the host; null for any other stream. */
export function readIncomingWhole(stream: AnyReadableStream): Promise<Uint8Array> | null {
  const reqId = WeakMapPrototypeGet(incoming, stream);
  if (reqId === undefined || stream.locked || isStreamDisturbed(stream)) return null;
  // Locked from here on, as any reader would leave it.
  stream.getReader();
  return PromisePrototypeThen(hostAsync(Op.RequestBodyRead, reqId, true), (whole) =>
    whole === null ? new Uint8ArrayCtor(0) : new Uint8ArrayCtor(whole as ArrayBuffer));
}
