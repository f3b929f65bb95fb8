// Reading a ReadableStream given to KV put(). Workers pumps the whole stream to the KV service, which
// counts every byte, so an oversized value is reported with its full length; only the bytes up to
// the limit are kept while counting the rest.
import { ErrorCtor, TypeErrorCtor } from '../../bootstrap/primordials.js';
import { concatBytes } from '../../web/encoding/bytes.js';
import { chunkBytes, type AnyReadableStream } from '../../web/streams/streams.js';

/** KV's value size limit; the host checks it again on what arrives. */
export const MAX_VALUE_BYTES = 25 * 1024 * 1024;

export async function readValueStream(stream: AnyReadableStream): Promise<ArrayBuffer> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    const chunk = chunkBytes(value);
    if (chunk === null) throw new TypeErrorCtor('This ReadableStream did not return bytes.');
    total += chunk.byteLength;
    if (total <= MAX_VALUE_BYTES) chunks[chunks.length] = chunk;
  }
  if (total > MAX_VALUE_BYTES) throw new ErrorCtor(`KV PUT failed: 413 Value length of ${total} exceeds limit of ${MAX_VALUE_BYTES}.`);
  return concatBytes(chunks, total).buffer as ArrayBuffer;
}
