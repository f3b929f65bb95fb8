// The chunk check of every byte-only transform (compression, IdentityTransformStream): BufferSources
// pass, anything else is a TypeError worded as Workers words it.
import {
  ArrayBufferCtor, ArrayBufferIsView, ArrayBufferPrototypeSlice, ReflectApply, TypeErrorCtor,
} from '../../bootstrap/primordials.js';

const NOT_BYTES = 'This TransformStream is being used as a byte stream, but received an object of non-ArrayBuffer/ArrayBufferView type on its writable side.';
const A_STRING = "This TransformStream is being used as a byte stream, but received a string on its writable side. If you wish to write a string, you'll probably want to explicitly UTF-8-encode it with TextEncoder.";

const TypedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype) as object;
const viewBuffer = Object.getOwnPropertyDescriptor(TypedArrayPrototype, 'buffer')!.get!;
const ArrayBufferByteLength = Object.getOwnPropertyDescriptor(ArrayBuffer.prototype, 'byteLength')!.get!;
const DataViewCtor = DataView;
const DataViewBuffer = Object.getOwnPropertyDescriptor(DataView.prototype, 'buffer')!.get!;
const DataViewByteOffset = Object.getOwnPropertyDescriptor(DataView.prototype, 'byteOffset')!.get!;
const DataViewByteLength = Object.getOwnPropertyDescriptor(DataView.prototype, 'byteLength')!.get!;
const TypedArrayByteOffset = Object.getOwnPropertyDescriptor(TypedArrayPrototype, 'byteOffset')!.get!;
const TypedArrayByteLength = Object.getOwnPropertyDescriptor(TypedArrayPrototype, 'byteLength')!.get!;

/** Where a chunk's bytes are: its buffer, their offset and their length. */
export interface ChunkBytes { buffer: ArrayBuffer; offset: number; length: number }

/** The memory of a BufferSource chunk, read through the built-in getters; throws TypeError for anything else. */
export function byteChunk(chunk: unknown): ChunkBytes {
  if (chunk instanceof ArrayBufferCtor) return { buffer: chunk, offset: 0, length: ReflectApply(ArrayBufferByteLength, chunk, []) as number };
  if (ArrayBufferIsView(chunk)) {
    // A tenant's view can shadow buffer, byteOffset and byteLength with its own properties.
    const dataView = chunk instanceof DataViewCtor;
    return {
      buffer: ReflectApply(dataView ? DataViewBuffer : viewBuffer, chunk, []) as ArrayBuffer,
      offset: ReflectApply(dataView ? DataViewByteOffset : TypedArrayByteOffset, chunk, []) as number,
      length: ReflectApply(dataView ? DataViewByteLength : TypedArrayByteLength, chunk, []) as number,
    };
  }
  throw new TypeErrorCtor(typeof chunk === 'string' ? A_STRING : NOT_BYTES);
}

/** A copy of a chunk's bytes, so later writes to the tenant's buffer do not reach the stream. */
export function copyChunk(bytes: ChunkBytes): ArrayBuffer {
  return ArrayBufferPrototypeSlice(bytes.buffer, bytes.offset, bytes.offset + bytes.length) as ArrayBuffer;
}
