// SubtleCrypto: argument conversion and algorithm normalization happen here, in the isolate; the
// cryptography happens on the host, in Node's WebCrypto, on keys the isolate knows only by handle.
// @see https://w3c.github.io/webcrypto/#subtlecrypto-interface
// @see https://developers.cloudflare.com/workers/runtime-apis/web-crypto/
import { Op } from '../../../shared/boundary.js';
import { JSONParse, ObjectDefineProperty, PromisePrototypeThen, PromiseReject, ReflectDefineProperty, TypeErrorCtor } from '../../bootstrap/primordials.js';
import { normalizeAlgorithm, normalizeDerivedKeyAlgorithm, normalizeWrapAlgorithm } from './algorithms.js';
import { handleOf, keyFromRecord, type CryptoKey } from './crypto-key.js';
import {
  copyBytes, isBufferSource, isObject, toDOMString, toJsonWebKey, toKeyFormat, toKeyUsages, toUnsignedLong, viewBytes,
} from './idl.js';
import { subtleCall } from './subtle-call.js';

const CONSTRUCT = Symbol('SubtleCrypto');
let isSubtle: (value: unknown) => boolean;

const where = (method: string): string => `Failed to execute '${method}' on 'SubtleCrypto'`;
const parameter = (method: string, position: number): string => `${where(method)}: parameter ${position}`;

/**
 * WebIDL turns every exception of a promise-returning operation, argument conversion included,
 * into a rejected promise.
 */
function settle<T>(self: unknown, method: string, given: number, required: number, body: () => Promise<T>): Promise<T> {
  try {
    if (!isSubtle(self)) throw new TypeErrorCtor('Illegal invocation');
    if (given < required) throw new TypeErrorCtor(`${where(method)}: ${required} arguments required, but only ${given} present.`);
    return body();
  } catch (err) {
    return PromiseReject(err);
  }
}

/** AlgorithmIdentifier is (object or DOMString): anything but an object converts to a string. */
const identifier = (value: unknown): unknown => (isObject(value) ? value : toDOMString(value));

function keyHandle(value: unknown, method: string, position: number): number {
  const handle = handleOf(value);
  if (handle === null) throw new TypeErrorCtor(`${parameter(method, position)} is not of type 'CryptoKey'.`);
  return handle;
}

const toKey = (record: unknown): CryptoKey => keyFromRecord(record);

/** A generated key, or a CryptoKeyPair dictionary when the host made two. */
function toKeyOrPair(records: unknown): CryptoKey | { publicKey: CryptoKey; privateKey: CryptoKey } {
  const list = records as unknown[];
  if (list.length === 1) return keyFromRecord(list[0]);
  const pair = {} as { publicKey: CryptoKey; privateKey: CryptoKey };
  ReflectDefineProperty(pair, 'publicKey', { value: keyFromRecord(list[0]), writable: true, enumerable: true, configurable: true });
  ReflectDefineProperty(pair, 'privateKey', { value: keyFromRecord(list[1]), writable: true, enumerable: true, configurable: true });
  return pair;
}

export class SubtleCrypto {
  readonly #brand = true;

  constructor(token?: unknown) {
    if (token !== CONSTRUCT) throw new TypeErrorCtor('Illegal constructor');
  }

  static {
    isSubtle = (value) => typeof value === 'object' && value !== null && #brand in value;
  }

  encrypt(algorithm: unknown, key: unknown, data: unknown): Promise<ArrayBuffer> {
    return settle(this, 'encrypt', arguments.length, 3, () => this.#cipher(Op.CryptoEncrypt, 'encrypt', algorithm, key, data));
  }

  decrypt(algorithm: unknown, key: unknown, data: unknown): Promise<ArrayBuffer> {
    return settle(this, 'decrypt', arguments.length, 3, () => this.#cipher(Op.CryptoDecrypt, 'decrypt', algorithm, key, data));
  }

  sign(algorithm: unknown, key: unknown, data: unknown): Promise<ArrayBuffer> {
    return settle(this, 'sign', arguments.length, 3, () => this.#cipher(Op.CryptoSign, 'sign', algorithm, key, data));
  }

  #cipher(op: number, method: 'encrypt' | 'decrypt' | 'sign', algorithm: unknown, key: unknown, data: unknown): Promise<ArrayBuffer> {
    const id = identifier(algorithm);
    const handle = keyHandle(key, method, 2);
    const bytes = copyBytes(data, parameter(method, 3));
    return subtleCall(op, [normalizeAlgorithm(id, method).pairs, handle, bytes]) as Promise<ArrayBuffer>;
  }

  verify(algorithm: unknown, key: unknown, signature: unknown, data: unknown): Promise<boolean> {
    return settle(this, 'verify', arguments.length, 4, () => {
      const id = identifier(algorithm);
      const handle = keyHandle(key, 'verify', 2);
      const signatureBytes = copyBytes(signature, parameter('verify', 3));
      const bytes = copyBytes(data, parameter('verify', 4));
      return subtleCall(Op.CryptoVerify, [normalizeAlgorithm(id, 'verify').pairs, handle, signatureBytes, bytes]) as Promise<boolean>;
    });
  }

  digest(algorithm: unknown, data: unknown): Promise<ArrayBuffer> {
    return settle(this, 'digest', arguments.length, 2, () => {
      const id = identifier(algorithm);
      const bytes = copyBytes(data, parameter('digest', 2));
      return subtleCall(Op.CryptoDigest, [normalizeAlgorithm(id, 'digest').name, bytes]) as Promise<ArrayBuffer>;
    });
  }

  generateKey(algorithm: unknown, extractable: unknown, keyUsages: unknown): Promise<unknown> {
    return settle(this, 'generateKey', arguments.length, 3, () => {
      const id = identifier(algorithm);
      const usages = toKeyUsages(keyUsages, parameter('generateKey', 3));
      const pairs = normalizeAlgorithm(id, 'generateKey').pairs;
      return PromisePrototypeThen(subtleCall(Op.CryptoGenerateKey, [pairs, !!extractable, usages]), toKeyOrPair);
    });
  }

  deriveKey(algorithm: unknown, baseKey: unknown, derivedKeyType: unknown, extractable: unknown, keyUsages: unknown): Promise<CryptoKey> {
    return settle(this, 'deriveKey', arguments.length, 5, () => {
      const id = identifier(algorithm);
      const handle = keyHandle(baseKey, 'deriveKey', 2);
      const derivedId = identifier(derivedKeyType);
      const usages = toKeyUsages(keyUsages, parameter('deriveKey', 5));
      const pairs = normalizeAlgorithm(id, 'deriveBits').pairs;
      const derived = normalizeDerivedKeyAlgorithm(derivedId).pairs;
      return PromisePrototypeThen(subtleCall(Op.CryptoDeriveKey, [pairs, handle, derived, !!extractable, usages]), toKey);
    });
  }

  deriveBits(algorithm: unknown, baseKey: unknown, length: unknown = null): Promise<ArrayBuffer> {
    return settle(this, 'deriveBits', arguments.length, 2, () => {
      const id = identifier(algorithm);
      const handle = keyHandle(baseKey, 'deriveBits', 2);
      // `unsigned long? length = null`: no [EnforceRange], so other values wrap as WebIDL says.
      const bits = length === null || length === undefined ? null : toUnsignedLong(length);
      return subtleCall(Op.CryptoDeriveBits, [normalizeAlgorithm(id, 'deriveBits').pairs, handle, bits]) as Promise<ArrayBuffer>;
    });
  }

  importKey(format: unknown, keyData: unknown, algorithm: unknown, extractable: unknown, keyUsages: unknown): Promise<CryptoKey> {
    return settle(this, 'importKey', arguments.length, 5, () => {
      const keyFormat = toKeyFormat(format, parameter('importKey', 1));
      const data = keyDataFor(keyFormat, keyData);
      const id = identifier(algorithm);
      const usages = toKeyUsages(keyUsages, parameter('importKey', 5));
      const pairs = normalizeAlgorithm(id, 'importKey').pairs;
      return PromisePrototypeThen(subtleCall(Op.CryptoImportKey, [keyFormat, data, pairs, !!extractable, usages]), toKey);
    });
  }

  exportKey(format: unknown, key: unknown): Promise<unknown> {
    return settle(this, 'exportKey', arguments.length, 2, () => {
      const keyFormat = toKeyFormat(format, parameter('exportKey', 1));
      const handle = keyHandle(key, 'exportKey', 2);
      // A JWK crosses as JSON text; parsing it here makes a plain object of this isolate.
      return PromisePrototypeThen(subtleCall(Op.CryptoExportKey, [keyFormat, handle]),
        (exported) => (keyFormat === 'jwk' ? JSONParse(exported as string) as unknown : exported));
    });
  }

  wrapKey(format: unknown, key: unknown, wrappingKey: unknown, wrapAlgorithm: unknown): Promise<ArrayBuffer> {
    return settle(this, 'wrapKey', arguments.length, 4, () => {
      const keyFormat = toKeyFormat(format, parameter('wrapKey', 1));
      const handle = keyHandle(key, 'wrapKey', 2);
      const wrapping = keyHandle(wrappingKey, 'wrapKey', 3);
      const pairs = normalizeWrapAlgorithm(identifier(wrapAlgorithm), 'wrapKey').pairs;
      return subtleCall(Op.CryptoWrapKey, [keyFormat, handle, wrapping, pairs]) as Promise<ArrayBuffer>;
    });
  }

  unwrapKey(format: unknown, wrappedKey: unknown, unwrappingKey: unknown, unwrapAlgorithm: unknown,
    unwrappedKeyAlgorithm: unknown, extractable: unknown, keyUsages: unknown): Promise<CryptoKey> {
    return settle(this, 'unwrapKey', arguments.length, 7, () => {
      const keyFormat = toKeyFormat(format, parameter('unwrapKey', 1));
      const wrapped = copyBytes(wrappedKey, parameter('unwrapKey', 2));
      const unwrapping = keyHandle(unwrappingKey, 'unwrapKey', 3);
      const unwrapId = identifier(unwrapAlgorithm);
      const keyId = identifier(unwrappedKeyAlgorithm);
      const usages = toKeyUsages(keyUsages, parameter('unwrapKey', 7));
      const pairs = normalizeWrapAlgorithm(unwrapId, 'unwrapKey').pairs;
      const keyPairs = normalizeAlgorithm(keyId, 'importKey').pairs;
      return PromisePrototypeThen(
        subtleCall(Op.CryptoUnwrapKey, [keyFormat, wrapped, unwrapping, pairs, keyPairs, !!extractable, usages]), toKey);
    });
  }

  /**
   * Workers' constant-time comparison: every byte is compared whatever the earlier ones were. Both
   * must be the same length, as the Workers documentation says; the lengths themselves are not secret.
   * @see https://developers.cloudflare.com/workers/examples/protect-against-timing-attacks/
   */
  timingSafeEqual(a: unknown, b: unknown): boolean {
    if (!isSubtle(this)) throw new TypeErrorCtor('Illegal invocation');
    if (arguments.length < 2) throw new TypeErrorCtor(`${where('timingSafeEqual')}: 2 arguments required, but only ${arguments.length} present.`);
    const left = viewBytes(a, parameter('timingSafeEqual', 1));
    const right = viewBytes(b, parameter('timingSafeEqual', 2));
    if (left.length !== right.length) throw new TypeErrorCtor('Input buffers must have the same byte length.');
    let difference = 0;
    for (let i = 0; i < left.length; i++) difference |= left.view[i]! ^ right.view[i]!;
    return difference === 0;
  }
}
ObjectDefineProperty(SubtleCrypto.prototype, Symbol.toStringTag, { value: 'SubtleCrypto', configurable: true });

/** importKey's (BufferSource or JsonWebKey) keyData: which one it must be depends on the format. */
function keyDataFor(format: string, keyData: unknown): ArrayBuffer | string {
  if (format === 'jwk') {
    if (isBufferSource(keyData)) throw new TypeErrorCtor(`${parameter('importKey', 2)}: "jwk" key data must be a JsonWebKey.`);
    return toJsonWebKey(keyData, parameter('importKey', 2));
  }
  if (!isBufferSource(keyData)) throw new TypeErrorCtor(`${parameter('importKey', 2)}: "${format}" key data must be a BufferSource.`);
  return copyBytes(keyData, parameter('importKey', 2));
}

export const subtle = new SubtleCrypto(CONSTRUCT);
