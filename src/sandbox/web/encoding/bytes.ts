// BufferSource handling shared by every API that accepts bytes.
import { TypedArrayPrototypeSet, Uint8ArrayCtor } from '../../bootstrap/primordials.js';

/** A view over the bytes of an ArrayBuffer or ArrayBufferView, without copying. */
export function toBytes(input: unknown, where: string): Uint8Array {
  if (input instanceof Uint8Array) return input;
  if (input instanceof ArrayBuffer) return new Uint8Array(input);
  if (ArrayBuffer.isView(input)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  throw new TypeError(`${where}: the provided value is not of type '(ArrayBuffer or ArrayBufferView)'`);
}

/** An ArrayBuffer holding exactly these bytes: the view's own buffer when it covers it, else a copy. */
export function exactBuffer(bytes: Uint8Array): ArrayBuffer {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer) {
    return bytes.buffer;
  }
  return bytes.slice().buffer as ArrayBuffer;
}

export function concatBytes(chunks: Uint8Array[], total: number): Uint8Array {
  // By index and with the captured set(): tenants can replace array iteration and TypedArray methods.
  const out = new Uint8ArrayCtor(total);
  let offset = 0;
  for (let i = 0; i < chunks.length; i++) {
    TypedArrayPrototypeSet(out, chunks[i]!, offset);
    offset += chunks[i]!.byteLength;
  }
  return out;
}
