// Checks what a tenant's isolate sends to the crypto ops and turns it into arguments for Node's
// WebCrypto. The runtime has already applied WebIDL; everything is checked again here because the
// isolate is not trusted. Two kinds of rejection: a malformed argument (only a tampered runtime sends
// one) is a TypeError, a well-formed request over a host limit is the DOMException WebCrypto uses.
import type { webcrypto } from 'node:crypto';
import { ErrorKind, type ErrorKindCode } from '../../../shared/boundary.js';
import type { CryptoTable } from './crypto-table.js';

/** A malformed argument: answered as a TypeError. */
export class InvalidArgument extends Error {}

/** A request the host refuses: answered as the DOMException of `kind`. */
export class Refusal extends Error {
  readonly kind: ErrorKindCode;
  constructor(kind: ErrorKindCode, message: string) {
    super(message);
    this.kind = kind;
  }
}

/** Workers' own limit, there for the same reason: each iteration is CPU time. */
const MAX_PBKDF2_ITERATIONS = 100_000;
/** PBKDF2 runs its iterations once per output block; this caps the product. */
const MAX_PBKDF2_WORK = MAX_PBKDF2_ITERATIONS * 16;
/** Generating an RSA key takes seconds of a pool thread at 8192 bits, minutes at 16384. */
const MAX_RSA_GENERATE_BITS = 8192;
/** Workers' ceiling for RSA keys; a private operation with a larger one would hold a pool thread for long. */
const MAX_RSA_BITS = 16_384;
/** Key lengths (HMAC) and derived lengths are allocations the host makes; HKDF-SHA-512 tops at 130560. */
const MAX_KEY_BITS = 65_536;
const MAX_DERIVED_BITS = 131_072;
const MAX_JWK_TEXT = 1024 * 1024;

const NAMES = new Set([
  'SHA-1', 'SHA-256', 'SHA-384', 'SHA-512', 'HMAC', 'AES-GCM', 'AES-CBC', 'AES-CTR', 'AES-KW',
  'RSASSA-PKCS1-v1_5', 'RSA-PSS', 'RSA-OAEP', 'ECDSA', 'ECDH', 'Ed25519', 'X25519', 'NODE-ED25519', 'PBKDF2', 'HKDF',
]);
export const HASHES = new Set(['SHA-1', 'SHA-256', 'SHA-384', 'SHA-512']);
const STRINGS = new Set(['namedCurve']);
const INTEGERS = new Set(['length', 'tagLength', 'modulusLength', 'saltLength', 'iterations']);
const BYTES = new Set(['iv', 'additionalData', 'counter', 'label', 'info', 'salt', 'publicExponent']);
const USAGES = new Set(['encrypt', 'decrypt', 'sign', 'verify', 'deriveKey', 'deriveBits', 'wrapKey', 'unwrapKey']);
const FORMATS = new Set(['raw', 'spki', 'pkcs8', 'jwk']);

/** Workers' name for Ed25519 from before the standard one, still accepted. */
export const NODE_ED25519 = 'NODE-ED25519';

export interface Algorithm {
  /** The name the tenant's key will report (an alias stays an alias). */
  name: string;
  /** What Node's WebCrypto is given. */
  params: Record<string, unknown> & { name: string };
}

function isUint32(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 0xffff_ffff;
}

/** Reads a flat [member, value, ...] algorithm the runtime has normalized. */
export function parseAlgorithm(pairs: unknown, table: CryptoTable): Algorithm {
  if (!Array.isArray(pairs) || pairs.length % 2 !== 0 || pairs.length > 32) throw new InvalidArgument('invalid algorithm');
  const params: Record<string, unknown> = {};
  for (let i = 0; i < pairs.length; i += 2) {
    const member: unknown = pairs[i];
    const value: unknown = pairs[i + 1];
    if (typeof member !== 'string' || Object.hasOwn(params, member)) throw new InvalidArgument('invalid algorithm member');
    if (member === 'name' || member === 'hash') {
      if (typeof value !== 'string' || !(member === 'name' ? NAMES : HASHES).has(value)) throw new InvalidArgument(`invalid algorithm ${member}`);
      params[member] = value;
    } else if (STRINGS.has(member)) {
      if (typeof value !== 'string' || value.length > 64) throw new InvalidArgument(`invalid ${member}`);
      params[member] = value;
    } else if (INTEGERS.has(member)) {
      if (!isUint32(value)) throw new InvalidArgument(`invalid ${member}`);
      params[member] = value;
    } else if (BYTES.has(member)) {
      if (!(value instanceof ArrayBuffer)) throw new InvalidArgument(`invalid ${member}`);
      params[member] = member === 'publicExponent' ? new Uint8Array(value) : value;
    } else if (member === 'public') {
      const entry = table.key(value);
      if (entry === null) throw new InvalidArgument('invalid public key');
      params[member] = entry.key;
    } else {
      throw new InvalidArgument('invalid algorithm member');
    }
  }
  const name = params['name'];
  if (typeof name !== 'string') throw new InvalidArgument('algorithm without a name');
  if (typeof params['length'] === 'number' && params['length'] > MAX_KEY_BITS) {
    throw new Refusal(ErrorKind.OperationError, `Key lengths above ${MAX_KEY_BITS} bits are not supported.`);
  }
  const iterations = params['iterations'];
  if (typeof iterations === 'number' && iterations > MAX_PBKDF2_ITERATIONS) {
    throw new Refusal(ErrorKind.NotSupportedError, `Pbkdf2 failed: iteration counts above ${MAX_PBKDF2_ITERATIONS} are not supported (requested ${iterations}).`);
  }
  if (name === NODE_ED25519) {
    if (params['namedCurve'] !== undefined && params['namedCurve'] !== NODE_ED25519) {
      throw new Refusal(ErrorKind.NotSupportedError, `Unrecognized or unimplemented EdDSA curve "${String(params['namedCurve'])}" requested.`);
    }
    return { name, params: { name: 'Ed25519' } };
  }
  return { name, params: params as Algorithm['params'] };
}

/** The RSA parameters Workers accepts for key generation, with a lower ceiling on the host's time. */
export function checkGenerate(algorithm: Algorithm): void {
  const { modulusLength, publicExponent } = algorithm.params;
  if (typeof modulusLength === 'number' && (modulusLength % 8 !== 0 || modulusLength < 256 || modulusLength > MAX_RSA_GENERATE_BITS)) {
    throw new Refusal(ErrorKind.OperationError,
      `The modulus length must be a multiple of 8 and between 256 and ${MAX_RSA_GENERATE_BITS}, but ${modulusLength} was requested.`);
  }
  if (publicExponent instanceof Uint8Array) {
    let value = 0;
    for (const byte of publicExponent) value = value * 256 + byte;
    if (value !== 3 && value !== 65537) {
      throw new Refusal(ErrorKind.OperationError, `The "publicExponent" must be either 3 or 65537, but got ${value}.`);
    }
  }
}

/** Refuses an imported RSA key larger than Workers accepts, before the tenant can use it. */
export function checkImported(key: webcrypto.CryptoKey): void {
  const { modulusLength } = key.algorithm as { modulusLength?: unknown };
  if (typeof modulusLength === 'number' && modulusLength > MAX_RSA_BITS) {
    throw new Refusal(ErrorKind.OperationError, `RSA keys above ${MAX_RSA_BITS} bits are not supported, but this one has ${modulusLength}.`);
  }
}

const HASH_BITS: Record<string, number> = { 'SHA-1': 160, 'SHA-256': 256, 'SHA-384': 384, 'SHA-512': 512 };
const BLOCK_BITS: Record<string, number> = { 'SHA-1': 512, 'SHA-256': 512, 'SHA-384': 1024, 'SHA-512': 1024 };

/** The bits deriveKey will ask of its base algorithm for a key of this kind (WebCrypto's "get key length"). */
export function derivedLength(algorithm: Algorithm): number | null {
  const { name, length, hash } = algorithm.params;
  if (typeof length === 'number') return length;
  if (name === 'HMAC' && typeof hash === 'string') return BLOCK_BITS[hash] ?? null;
  return null;
}

/** Refuses a derivation the host would spend too long or allocate too much on. */
export function checkDerive(algorithm: Algorithm, bits: number | null): void {
  if (bits === null) return;
  if (bits > MAX_DERIVED_BITS) throw new Refusal(ErrorKind.OperationError, `Deriving more than ${MAX_DERIVED_BITS} bits is not supported.`);
  const { name, iterations, hash } = algorithm.params;
  if (name === 'PBKDF2' && typeof iterations === 'number' && typeof hash === 'string') {
    const blocks = Math.ceil(bits / (HASH_BITS[hash] ?? 160));
    if (blocks * iterations > MAX_PBKDF2_WORK) {
      throw new Refusal(ErrorKind.OperationError, `PBKDF2 output of ${bits} bits at ${iterations} iterations is more work than is supported.`);
    }
  }
}

export function parseDerivedBits(length: unknown): number | null {
  if (length === null) return null;
  if (!isUint32(length)) throw new InvalidArgument('invalid length');
  return length;
}

export function parseFormat(format: unknown): 'raw' | 'spki' | 'pkcs8' | 'jwk' {
  if (typeof format !== 'string' || !FORMATS.has(format)) throw new InvalidArgument('invalid key format');
  return format as 'raw' | 'spki' | 'pkcs8' | 'jwk';
}

export function parseUsages(usages: unknown): webcrypto.KeyUsage[] {
  if (!Array.isArray(usages) || usages.length > 16 || !usages.every((u) => typeof u === 'string' && USAGES.has(u))) {
    throw new InvalidArgument('invalid key usages');
  }
  return usages as webcrypto.KeyUsage[];
}

export function parseBoolean(value: unknown): boolean {
  if (typeof value !== 'boolean') throw new InvalidArgument('invalid boolean');
  return value;
}

export function parseBytes(value: unknown): ArrayBuffer {
  if (!(value instanceof ArrayBuffer)) throw new InvalidArgument('invalid data');
  return value;
}

const JWK_STRINGS = new Set(['alg', 'crv', 'd', 'dp', 'dq', 'e', 'k', 'kty', 'n', 'p', 'q', 'qi', 'use', 'x', 'y']);

/** Key data for an import: bytes, or the JSON text of a JsonWebKey the runtime has converted. */
export function parseKeyData(format: string, data: unknown): ArrayBuffer | webcrypto.JsonWebKey {
  if (format !== 'jwk') return parseBytes(data);
  if (typeof data !== 'string' || data.length > MAX_JWK_TEXT) throw new InvalidArgument('invalid JWK');
  let jwk: unknown;
  try {
    jwk = JSON.parse(data);
  } catch {
    throw new InvalidArgument('invalid JWK');
  }
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) throw new InvalidArgument('invalid JWK');
  const isStrings = (v: unknown) => Array.isArray(v) && v.every((s) => typeof s === 'string');
  for (const [member, value] of Object.entries(jwk)) {
    const valid = JWK_STRINGS.has(member) ? typeof value === 'string'
      : member === 'ext' ? typeof value === 'boolean'
      : member === 'key_ops' ? isStrings(value)
      : member === 'oth' ? Array.isArray(value) && value.every((o) => typeof o === 'object' && o !== null
        && Object.entries(o as object).every(([k, v]) => (k === 'r' || k === 'd' || k === 't') && typeof v === 'string'))
      : false;
    if (!valid) throw new InvalidArgument('invalid JWK');
  }
  return jwk as webcrypto.JsonWebKey;
}
