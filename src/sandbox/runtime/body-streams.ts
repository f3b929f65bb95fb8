// Response bodies that stream out across the boundary. A response whose body is a ReadableStream is
// read one chunk per host pull (the `pullBody` entry), so the host reads only as fast as its client
// takes the bytes and the tenant's stream is never drained ahead into memory. (Request bodies that
// stream in: web/fetch/incoming-body.ts.)
import { Op } from '../../shared/boundary.js';
import { hostNotify } from '../bootstrap/host.js';
import {
  ErrorCtor, MapCtor, MapPrototypeDelete, MapPrototypeGet, MapPrototypeSet, PromisePrototypeThen, StringPrototypeSlice,
  TypeErrorCtor,
} from '../bootstrap/primordials.js';
import { exactBuffer } from '../web/encoding/bytes.js';
import { chunkBytes, type AnyReadableStream } from '../web/streams/streams.js';

interface Reader {
  read(): Promise<{ done: boolean; value?: unknown }>;
  cancel(reason?: unknown): Promise<void>;
}

interface OutgoingStream {
  reader: Reader;
  /** Called once when the stream is over, however it ended. */
  onEnd: () => void;
}

const outgoing = new MapCtor<number, OutgoingStream>();
const MAX_ERROR_TEXT = 16 * 1024;

/** Registers the response body of request `reqId`; the host pulls it through `pullBody`. */
export function streamResponseBody(reqId: number, stream: AnyReadableStream, onEnd: () => void): void {
  MapPrototypeSet(outgoing, reqId, { reader: stream.getReader() as unknown as Reader, onEnd });
}

/** Ends the stream's registration after telling the host `last` (its end or failure), if it is still registered. */
function close(reqId: number, entry: OutgoingStream, last: (() => void) | null): boolean {
  if (MapPrototypeGet(outgoing, reqId) !== entry) return false;
  MapPrototypeDelete(outgoing, reqId);
  // The host hears of the end before the request's end, which may follow at once.
  try {
    if (last !== null) last();
  } finally {
    entry.onEnd();
  }
  return true;
}

function describe(err: unknown): string {
  let text: string;
  try {
    text = err instanceof ErrorCtor ? `${String(err.name)}: ${String(err.message)}` : String(err);
  } catch {
    text = 'a thrown value that could not be described';
  }
  return text.length > MAX_ERROR_TEXT ? StringPrototypeSlice(text, 0, MAX_ERROR_TEXT) : text;
}

/**
 * Host entry: reads one chunk of a streamed response body and sends it out (ResponseChunk), or the
 * end (null), or the failure (ResponseError). With `cancel`, the client has gone: the tenant's
 * stream is canceled, so its `cancel` callback runs. Never throws.
 */
export function pullBody(reqId: number, cancel: boolean): void {
  const entry = MapPrototypeGet(outgoing, reqId);
  if (entry === undefined) return;
  if (cancel) {
    close(reqId, entry, null);
    try {
      PromisePrototypeThen(entry.reader.cancel(new TypeErrorCtor('The client disconnected.')), undefined, () => {});
    } catch {
      // A stream in an odd state cannot be canceled; there is nobody left to tell.
    }
    return;
  }
  const fail = (err: unknown): void => {
    close(reqId, entry, () => hostNotify(Op.ResponseError, reqId, describe(err)));
  };
  const next = (): void => {
    PromisePrototypeThen(entry.reader.read(), (result) => {
      if (MapPrototypeGet(outgoing, reqId) !== entry) return;
      if (result.done) {
        close(reqId, entry, () => hostNotify(Op.ResponseChunk, reqId, null));
        return;
      }
      const bytes = chunkBytes(result.value);
      if (bytes === null) {
        fail(new TypeErrorCtor('This ReadableStream did not return bytes.'));
        PromisePrototypeThen(entry.reader.cancel(), undefined, () => {});
        return;
      }
      // An empty chunk says nothing to the client: the host asked for bytes, so read on.
      if (bytes.byteLength === 0) { next(); return; }
      hostNotify(Op.ResponseChunk, reqId, exactBuffer(bytes));
    }, fail);
  };
  try {
    next();
  } catch (err) {
    fail(err);
  }
}
