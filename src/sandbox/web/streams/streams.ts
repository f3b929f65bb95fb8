// Streams come from web-streams-polyfill, the reference-derived implementation, evaluated on first
// use only: most requests never touch a stream, and an isolate should not pay for one it never uses.
import type * as Ponyfill from 'web-streams-polyfill';

type StreamsModule = typeof Ponyfill;
let streams: StreamsModule | null = null;

export function loadStreams(): StreamsModule {
  if (streams === null) streams = require('web-streams-polyfill') as StreamsModule;
  return streams;
}

export type AnyReadableStream = InstanceType<StreamsModule['ReadableStream']>;

export function isReadableStream(value: unknown): value is AnyReadableStream {
  return streams !== null && value instanceof streams.ReadableStream;
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

/** Reads a stream of byte chunks to the end; stops with a RangeError past `limit` bytes. */
export async function readAllBytes(stream: AnyReadableStream, limit = Infinity): Promise<Uint8Array> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    let chunk: Uint8Array;
    if (value instanceof Uint8Array) chunk = value;
    else if (value instanceof ArrayBuffer) chunk = new Uint8Array(value);
    else if (ArrayBuffer.isView(value)) chunk = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
    else if (typeof value === 'string') throw new TypeError('This ReadableStream did not return bytes.');
    else throw new TypeError('This ReadableStream did not return bytes.');
    total += chunk.byteLength;
    if (total > limit) {
      await reader.cancel();
      throw new RangeError(`Stream exceeded the limit of ${limit} bytes.`);
    }
    chunks.push(chunk);
  }
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) { out.set(c, offset); offset += c.byteLength; }
  return out;
}
