// The WebIDL conversions crypto.subtle's arguments go through, done in the isolate so that only plain
// data (strings, numbers, copied ArrayBuffers) ever reaches the host.
// @see https://webidl.spec.whatwg.org/#es-type-mapping
// @see https://w3c.github.io/webcrypto/#subtlecrypto-interface
import {
  ArrayBufferIsView, ArrayBufferPrototypeSlice, JSONStringify, NumberIsFinite, ObjectCreate,
  ReflectApply, ReflectDefineProperty, ReflectGetOwnPropertyDescriptor, TypeErrorCtor, Uint8ArrayCtor,
} from '../../bootstrap/primordials.js';

// Getters read straight off the intrinsics, so a tenant's subclass or patched prototype cannot lie
// about where a view's bytes are; each also throws on a receiver of the wrong kind.
const getter = (proto: object, name: string) => ReflectGetOwnPropertyDescriptor(proto, name)!.get!;
const TypedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype) as object;
const ArrayBufferByteLength = getter(ArrayBuffer.prototype, 'byteLength');
const TypedArrayBuffer = getter(TypedArrayPrototype, 'buffer');
const TypedArrayByteOffset = getter(TypedArrayPrototype, 'byteOffset');
const TypedArrayByteLength = getter(TypedArrayPrototype, 'byteLength');
const TypedArrayToStringTag = getter(TypedArrayPrototype, Symbol.toStringTag as unknown as string);
const DataViewBuffer = getter(DataView.prototype, 'buffer');
const DataViewByteOffset = getter(DataView.prototype, 'byteOffset');
const DataViewByteLength = getter(DataView.prototype, 'byteLength');
const MathTrunc = Math.trunc;
const NumberCtor = Number;

/** A non-shared ArrayBuffer, the only buffer BufferSource admits. */
export function isArrayBuffer(value: unknown): value is ArrayBuffer {
  if (typeof value !== 'object' || value === null) return false;
  try {
    ReflectApply(ArrayBufferByteLength, value, []);
    return true;
  } catch {
    return false;
  }
}

interface Bytes { buffer: ArrayBuffer; offset: number; length: number }

/** Where a BufferSource's bytes are, or null when the value is not one. */
function bytesOf(value: unknown): Bytes | null {
  if (isArrayBuffer(value)) return { buffer: value, offset: 0, length: ReflectApply(ArrayBufferByteLength, value, []) as number };
  if (!ArrayBufferIsView(value)) return null;
  const typed = ReflectApply(TypedArrayToStringTag, value, []) !== undefined;
  const buffer = ReflectApply(typed ? TypedArrayBuffer : DataViewBuffer, value, []) as ArrayBuffer;
  if (!isArrayBuffer(buffer)) return null;
  return {
    buffer,
    offset: ReflectApply(typed ? TypedArrayByteOffset : DataViewByteOffset, value, []) as number,
    length: ReflectApply(typed ? TypedArrayByteLength : DataViewByteLength, value, []) as number,
  };
}

export function isBufferSource(value: unknown): boolean {
  return bytesOf(value) !== null;
}

/** "Get a copy of the bytes held by the buffer source": later writes by the tenant do not reach the operation. */
export function copyBytes(value: unknown, context: string): ArrayBuffer {
  const bytes = bytesOf(value);
  if (bytes === null) throw new TypeErrorCtor(`${context} is not of type 'BufferSource'.`);
  return ArrayBufferPrototypeSlice(bytes.buffer, bytes.offset, bytes.offset + bytes.length) as ArrayBuffer;
}

/** A view of a BufferSource's bytes, without copying them, and its length. */
export function viewBytes(value: unknown, context: string): { view: Uint8Array; length: number } {
  const bytes = bytesOf(value);
  if (bytes === null) throw new TypeErrorCtor(`${context} is not of type 'BufferSource'.`);
  return { view: new Uint8ArrayCtor(bytes.buffer, bytes.offset, bytes.length), length: bytes.length };
}

/** BigInteger is a Uint8Array of big-endian bytes. */
export function copyBigInteger(value: unknown, context: string): ArrayBuffer {
  if (!ArrayBufferIsView(value) || ReflectApply(TypedArrayToStringTag, value, []) !== 'Uint8Array') {
    throw new TypeErrorCtor(`${context} is not of type 'Uint8Array'.`);
  }
  return copyBytes(value, context);
}

/** DOMString: a template literal throws on a Symbol, as ToString does. */
export function toDOMString(value: unknown): string {
  return typeof value === 'string' ? value : `${value as string}`;
}

/** An [EnforceRange] integer type: non-finite or out-of-range values are a TypeError. */
export function toEnforcedInteger(value: unknown, max: number, type: string, context: string): number {
  const n = NumberCtor(value);
  if (!NumberIsFinite(n)) throw new TypeErrorCtor(`${context} is not a finite '${type}'.`);
  const integer = MathTrunc(n) + 0;
  if (integer < 0 || integer > max) throw new TypeErrorCtor(`${context} is outside the '${type}' value range.`);
  return integer;
}

/** unsigned long without [EnforceRange]: truncated, then modulo 2^32. */
export function toUnsignedLong(value: unknown): number {
  const n = NumberCtor(value);
  if (!NumberIsFinite(n)) return 0;
  const wrapped = MathTrunc(n) % 2 ** 32;
  return wrapped < 0 ? wrapped + 2 ** 32 : wrapped + 0;
}

/** An object, for the `object` side of a union such as AlgorithmIdentifier. */
export function isObject(value: unknown): value is Record<string, unknown> {
  return (typeof value === 'object' && value !== null) || typeof value === 'function';
}

const KEY_FORMATS = ['raw', 'spki', 'pkcs8', 'jwk'];
const KEY_USAGES = ['encrypt', 'decrypt', 'sign', 'verify', 'deriveKey', 'deriveBits', 'wrapKey', 'unwrapKey'];

function isOneOf(list: string[], value: string): boolean {
  for (let i = 0; i < list.length; i++) if (list[i] === value) return true;
  return false;
}

export function toKeyFormat(value: unknown, context: string): string {
  const format = toDOMString(value);
  if (!isOneOf(KEY_FORMATS, format)) throw new TypeErrorCtor(`${context}: The provided value '${format}' is not a valid enum value of type KeyFormat.`);
  return format;
}

/** sequence<DOMString>: iterated with the object's own @@iterator, as WebIDL does. */
export function toStringSequence(value: unknown, context: string): string[] {
  if (!isObject(value) || typeof (value as { [Symbol.iterator]?: unknown })[Symbol.iterator] !== 'function') {
    throw new TypeErrorCtor(`${context} is not a sequence.`);
  }
  const out: string[] = [];
  for (const item of value as unknown as Iterable<unknown>) out[out.length] = toDOMString(item);
  return out;
}

export function toKeyUsages(value: unknown, context: string): string[] {
  const usages = toStringSequence(value, context);
  for (let i = 0; i < usages.length; i++) {
    if (!isOneOf(KEY_USAGES, usages[i]!)) {
      throw new TypeErrorCtor(`${context}: The provided value '${usages[i]}' is not a valid enum value of type KeyUsage.`);
    }
  }
  return usages;
}

const JWK_STRINGS = ['alg', 'crv', 'd', 'dp', 'dq', 'e', 'k', 'kty', 'n', 'p', 'q', 'qi', 'use', 'x', 'y'];
// Dictionary members are read in lexicographic order.
const JWK_MEMBERS = ['alg', 'crv', 'd', 'dp', 'dq', 'e', 'ext', 'k', 'key_ops', 'kty', 'n', 'oth', 'p', 'q', 'qi', 'use', 'x', 'y'];

function define(target: object, key: string, value: unknown): void {
  ReflectDefineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
}

/** A JsonWebKey dictionary, as JSON text holding only the members the dictionary defines. */
export function toJsonWebKey(value: unknown, context: string): string {
  if (value !== undefined && value !== null && !isObject(value)) throw new TypeErrorCtor(`${context} is not of type 'JsonWebKey'.`);
  const source = (value ?? {}) as Record<string, unknown>;
  const jwk = ObjectCreate(null) as Record<string, unknown>;
  for (let i = 0; i < JWK_MEMBERS.length; i++) {
    const member = JWK_MEMBERS[i]!;
    const v = source[member];
    if (v === undefined) continue;
    if (isOneOf(JWK_STRINGS, member)) define(jwk, member, toDOMString(v));
    else if (member === 'ext') define(jwk, member, !!v);
    else if (member === 'key_ops') define(jwk, member, toStringSequence(v, `${context}.key_ops`));
    else define(jwk, member, toOtherPrimes(v, `${context}.oth`));
  }
  return JSONStringify(jwk);
}

const PRIME_MEMBERS = ['d', 'r', 't'];

function toOtherPrimes(value: unknown, context: string): unknown[] {
  const out: unknown[] = [];
  if (!isObject(value) || typeof (value as { [Symbol.iterator]?: unknown })[Symbol.iterator] !== 'function') {
    throw new TypeErrorCtor(`${context} is not a sequence.`);
  }
  for (const item of value as unknown as Iterable<unknown>) {
    if (item !== undefined && item !== null && !isObject(item)) throw new TypeErrorCtor(`${context} is not of type 'RsaOtherPrimesInfo'.`);
    const info = ObjectCreate(null) as Record<string, unknown>;
    const source = (item ?? {}) as Record<string, unknown>;
    for (let i = 0; i < PRIME_MEMBERS.length; i++) {
      const member = PRIME_MEMBERS[i]!;
      if (source[member] !== undefined) define(info, member, toDOMString(source[member]));
    }
    out[out.length] = info;
  }
  return out;
}
