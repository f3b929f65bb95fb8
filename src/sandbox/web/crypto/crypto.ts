// The Crypto interface: randomness from the host's CSPRNG, crypto.subtle, and Workers' DigestStream.
// @see https://w3c.github.io/webcrypto/#crypto-interface
import { Op } from '../../../shared/boundary.js';
import { hostCall } from '../../bootstrap/host.js';
import { DOMException } from '../dom/dom-exception.js';
import { DigestStream } from './digest-stream.js';
import { subtle, type SubtleCrypto } from './subtle.js';

const INTEGER_ARRAYS = [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, BigInt64Array, BigUint64Array];

export function getRandomValues<T extends ArrayBufferView>(array: T): T {
  // WebIDL first converts the argument to an ArrayBufferView; only then does the integer check apply.
  if (!ArrayBuffer.isView(array)) {
    throw new TypeError("Failed to execute 'getRandomValues' on 'Crypto': parameter 1 is not of type 'ArrayBufferView'.");
  }
  if (!INTEGER_ARRAYS.some((ctor) => array instanceof ctor)) {
    throw new DOMException("The data argument must be an integer-type TypedArray", 'TypeMismatchError');
  }
  if (array.byteLength > 65536) {
    throw new DOMException(`The ArrayBufferView's byte length (${array.byteLength}) exceeds the number of bytes of entropy available via this API (65536)`, 'QuotaExceededError');
  }
  const random = new Uint8Array(hostCall(Op.RandomBytes, array.byteLength) as ArrayBuffer);
  new Uint8Array(array.buffer, array.byteOffset, array.byteLength).set(random);
  return array;
}

export function randomUUID(): string { return hostCall(Op.RandomUuid) as string; }

export class Crypto {
  get subtle(): SubtleCrypto { return subtle; }
  getRandomValues<T extends ArrayBufferView>(array: T): T { return getRandomValues(array); }
  randomUUID(): string { return randomUUID(); }
}
Object.defineProperty(Crypto.prototype, Symbol.toStringTag, { value: 'Crypto', configurable: true });
// Workers puts the DigestStream constructor on Crypto.prototype; it is not a global.
Object.defineProperty(Crypto.prototype, 'DigestStream', { value: DigestStream, writable: true, configurable: true, enumerable: false });
export const crypto = new Crypto();
