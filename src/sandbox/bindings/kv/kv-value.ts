// Reading a ReadableStream given to KV put(). Workers pumps the whole stream to the KV service, which
// counts every byte, so an oversized value is reported with its full length; only the bytes up to
// the limit are kept while counting the rest.
import { ErrorCtor, TypeErrorCtor, TypedArrayPrototypeSet, Uint8ArrayCtor, ArrayBufferCtor, ArrayBufferIsView } from '../../bootstrap/primordials.js';
import type { AnyReadableStream } from '../../web/streams/streams.js';

/** KV's value size limit; the host checks it again on what arrives. */
export const MAX_VALUE_BYTES = 25 * 1024 * 1024;

function chunkBytes(value: unknown): Uint8Array {
  if (value instanceof Uint8ArrayCtor) return value;
  if (value instanceof ArrayBufferCtor) return new Uint8ArrayCtor(value);
  if (ArrayBufferIsView(value)) return new Uint8ArrayCtor(value.buffer, value.byteOffset, value.byteLength);
  throw new TypeErrorCtor('This ReadableStream did not return bytes.');
}

export async function readValueStream(stream: AnyReadableStream): Promise<ArrayBuffer> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    const chunk = chunkBytes(value);
    total += chunk.byteLength;
    if (total <= MAX_VALUE_BYTES) chunks[chunks.length] = chunk;
  }
  if (total > MAX_VALUE_BYTES) throw new ErrorCtor(`KV PUT failed: 413 Value length of ${total} exceeds limit of ${MAX_VALUE_BYTES}.`);
  const out = new Uint8ArrayCtor(total);
  let offset = 0;
  for (let i = 0; i < chunks.length; i++) {
    TypedArrayPrototypeSet(out, chunks[i]!, offset);
    offset += chunks[i]!.byteLength;
  }
  return out.buffer as ArrayBuffer;
}
