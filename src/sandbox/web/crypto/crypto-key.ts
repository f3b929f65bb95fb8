// CryptoKey: what the isolate knows of a key is its description and a handle; the key material
// stays in the host's table, and the handle is released when the CryptoKey is collected.
// @see https://w3c.github.io/webcrypto/#cryptokey-interface
import { ArrayBufferCtor, ObjectDefineProperty, ReflectDefineProperty, TypeErrorCtor, Uint8ArrayCtor } from '../../bootstrap/primordials.js';
import { track } from './handles.js';

/** Only the runtime makes keys; `new CryptoKey()` is an illegal constructor, as in browsers. */
const CONSTRUCT = Symbol('CryptoKey');

/** What the host sends for a key: [handle, type, extractable, usages, algorithm pairs]. */
export type KeyRecord = [number, string, boolean, string[], unknown[]];

function define(target: object, key: string, value: unknown): void {
  ReflectDefineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
}

/** The KeyAlgorithm dictionary as an object: `hash` is itself an algorithm, BigIntegers are Uint8Arrays. */
function algorithmFrom(pairs: unknown[]): Record<string, unknown> {
  const algorithm = {};
  for (let i = 0; i < pairs.length; i += 2) {
    const member = pairs[i] as string;
    const value = pairs[i + 1];
    if (member === 'hash') {
      const hash = {};
      define(hash, 'name', value);
      define(algorithm, member, hash);
    } else {
      define(algorithm, member, value instanceof ArrayBufferCtor ? new Uint8ArrayCtor(value) : value);
    }
  }
  return algorithm;
}

let handleOfKey: (value: object) => number | null;

export class CryptoKey {
  readonly #handle: number;
  readonly #type: string;
  readonly #extractable: boolean;
  // The same objects every time, as the spec's cached [[algorithm]] and [[usages]] are.
  readonly #algorithm: Record<string, unknown>;
  readonly #usages: string[];

  constructor(token?: unknown, record?: KeyRecord) {
    if (token !== CONSTRUCT || record === undefined) throw new TypeErrorCtor('Illegal constructor');
    this.#handle = record[0];
    this.#type = record[1];
    this.#extractable = record[2];
    this.#usages = record[3];
    this.#algorithm = algorithmFrom(record[4]);
    track(this, this.#handle);
  }

  get type(): string { return this.#check().#type; }
  get extractable(): boolean { return this.#check().#extractable; }
  get algorithm(): Record<string, unknown> { return this.#check().#algorithm; }
  get usages(): string[] { return this.#check().#usages; }

  #check(): CryptoKey {
    if (!(#handle in this)) throw new TypeErrorCtor('Illegal invocation');
    return this;
  }

  static {
    handleOfKey = (value) => (#handle in value ? (value as CryptoKey).#handle : null);
  }
}
ObjectDefineProperty(CryptoKey.prototype, Symbol.toStringTag, { value: 'CryptoKey', configurable: true });

/** The handle of a CryptoKey, or null when `value` is not one. */
export function handleOf(value: unknown): number | null {
  return typeof value === 'object' && value !== null ? handleOfKey(value) : null;
}

export function keyFromRecord(record: unknown): CryptoKey {
  return new CryptoKey(CONSTRUCT, record as KeyRecord);
}
