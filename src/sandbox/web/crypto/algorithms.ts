// "Normalizing an algorithm": which algorithms each operation recognizes, and which dictionary
// their parameters convert to. The result crosses to the host as flat [member, value, ...] pairs.
// @see https://w3c.github.io/webcrypto/#algorithm-normalization-normalize-an-algorithm
// @see https://developers.cloudflare.com/workers/runtime-apis/web-crypto/#supported-algorithms
import { MapPrototypeGet, StringPrototypeCharCodeAt, StringPrototypeToLowerCase, TypeErrorCtor } from '../../bootstrap/primordials.js';
import { DOMException } from '../dom/dom-exception.js';
import { handleOf } from './crypto-key.js';
import { copyBigInteger, copyBytes, isObject, toDOMString, toEnforcedInteger } from './idl.js';

export type Operation =
  | 'encrypt' | 'decrypt' | 'sign' | 'verify' | 'digest' | 'generateKey' | 'deriveBits' | 'importKey'
  | 'wrapKey' | 'unwrapKey' | 'get key length';

type MemberType = 'buffer' | 'octet' | 'unsigned short' | 'unsigned long' | 'hash' | 'string' | 'BigInteger' | 'CryptoKey';
/** [member, IDL type, required], inherited members first, then in lexicographic order as WebIDL reads them. */
type Dictionary = readonly (readonly [string, MemberType, boolean])[];

const None: Dictionary = [];
const AesCbcParams: Dictionary = [['iv', 'buffer', true]];
const AesCtrParams: Dictionary = [['counter', 'buffer', true], ['length', 'octet', true]];
const AesGcmParams: Dictionary = [['additionalData', 'buffer', false], ['iv', 'buffer', true], ['tagLength', 'octet', false]];
const AesLengthParams: Dictionary = [['length', 'unsigned short', true]];
const HmacParams: Dictionary = [['hash', 'hash', true], ['length', 'unsigned long', false]];
const RsaHashedKeyGenParams: Dictionary = [['modulusLength', 'unsigned long', true], ['publicExponent', 'BigInteger', true], ['hash', 'hash', true]];
const HashParams: Dictionary = [['hash', 'hash', true]];
const RsaPssParams: Dictionary = [['saltLength', 'unsigned long', true]];
const RsaOaepParams: Dictionary = [['label', 'buffer', false]];
const EcKeyParams: Dictionary = [['namedCurve', 'string', true]];
const EcdhKeyDeriveParams: Dictionary = [['public', 'CryptoKey', true]];
const HkdfParams: Dictionary = [['hash', 'hash', true], ['info', 'buffer', true], ['salt', 'buffer', true]];
const Pbkdf2Params: Dictionary = [['hash', 'hash', true], ['iterations', 'unsigned long', true], ['salt', 'buffer', true]];

const RSA = ['RSASSA-PKCS1-v1_5', 'RSA-PSS', 'RSA-OAEP'];
const AES = ['AES-CTR', 'AES-CBC', 'AES-GCM', 'AES-KW'];
/** Workers' own name for Ed25519, from before the standard one; its parameters carry namedCurve. */
export const NODE_ED25519 = 'NODE-ED25519';

function table(...entries: (readonly [string[] | string, Dictionary])[]): Map<string, [string, Dictionary]> {
  // Keyed by the lowercased name: registered names match ASCII case-insensitively.
  const map = new Map<string, [string, Dictionary]>();
  for (const [names, dictionary] of entries) {
    for (const name of typeof names === 'string' ? [names] : names) map.set(name.toLowerCase(), [name, dictionary]);
  }
  return map;
}

const SIGN = table([['RSASSA-PKCS1-v1_5', 'Ed25519', NODE_ED25519, 'HMAC'], None], ['RSA-PSS', RsaPssParams], ['ECDSA', HashParams]);
const ENCRYPT = table(['RSA-OAEP', RsaOaepParams], ['AES-CTR', AesCtrParams], ['AES-CBC', AesCbcParams], ['AES-GCM', AesGcmParams]);
const HASHES = table([['SHA-1', 'SHA-256', 'SHA-384', 'SHA-512'], None]);

const REGISTRY: Record<Operation, Map<string, [string, Dictionary]>> = {
  encrypt: ENCRYPT,
  decrypt: ENCRYPT,
  sign: SIGN,
  verify: SIGN,
  // MD5 is a Workers addition, for digests only.
  digest: table([['SHA-1', 'SHA-256', 'SHA-384', 'SHA-512', 'MD5'], None]),
  generateKey: table([RSA, RsaHashedKeyGenParams], [['ECDSA', 'ECDH', NODE_ED25519], EcKeyParams], [['Ed25519', 'X25519'], None],
    [AES, AesLengthParams], ['HMAC', HmacParams]),
  importKey: table([RSA, HashParams], [['ECDSA', 'ECDH', NODE_ED25519], EcKeyParams], [['Ed25519', 'X25519', 'HKDF', 'PBKDF2'], None],
    [AES, None], ['HMAC', HmacParams]),
  deriveBits: table([['ECDH', 'X25519'], EcdhKeyDeriveParams], ['HKDF', HkdfParams], ['PBKDF2', Pbkdf2Params]),
  wrapKey: table(['AES-KW', None]),
  unwrapKey: table(['AES-KW', None]),
  'get key length': table([AES, AesLengthParams], ['HMAC', HmacParams], [['HKDF', 'PBKDF2'], None]),
};

export interface Normalized {
  /** The registered name, in its registered case. */
  name: string;
  /** [member, value, ...] with BufferSources copied, hashes normalized and keys as handles. */
  pairs: unknown[];
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (StringPrototypeCharCodeAt(s, i) > 0x7f) return false;
  return true;
}

function notSupported(name: string, op: Operation): DOMException {
  return new DOMException(`Unrecognized or unsupported algorithm "${name}" for ${op}.`, 'NotSupportedError');
}

/** Normalizes an AlgorithmIdentifier (a name or an object with one) for `op`. */
export function normalizeAlgorithm(algorithm: unknown, op: Operation): Normalized {
  const object: Record<string, unknown> | null = isObject(algorithm) ? algorithm : null;
  const rawName = object === null ? algorithm : object['name'];
  if (object !== null && rawName === undefined) throw new TypeErrorCtor("Algorithm: The required member 'name' is missing.");
  const name = toDOMString(rawName);
  // A non-ASCII name never matches: lowercasing it could turn, say, a Kelvin sign into a "k".
  const entry = isAscii(name) ? MapPrototypeGet(REGISTRY[op], StringPrototypeToLowerCase(name)) : undefined;
  if (entry === undefined) throw notSupported(name, op);
  const registered = entry[0];
  const dictionary = entry[1];
  const pairs: unknown[] = ['name', registered];
  for (let i = 0; i < dictionary.length; i++) {
    const member = dictionary[i]![0];
    const type = dictionary[i]![1];
    const required = dictionary[i]![2];
    const value = object === null ? undefined : object[member];
    if (value === undefined) {
      if (required) throw new TypeErrorCtor(`${registered}: The required member '${member}' is missing.`);
      continue;
    }
    pairs[pairs.length] = member;
    pairs[pairs.length] = convertMember(value, type, `${registered}: '${member}'`);
  }
  return { name: registered, pairs };
}

function convertMember(value: unknown, type: MemberType, context: string): unknown {
  switch (type) {
    case 'buffer': return copyBytes(value, context);
    case 'BigInteger': return copyBigInteger(value, context);
    case 'octet': return toEnforcedInteger(value, 0xff, type, context);
    case 'unsigned short': return toEnforcedInteger(value, 0xffff, type, context);
    case 'unsigned long': return toEnforcedInteger(value, 0xffff_ffff, type, context);
    case 'string': return toDOMString(value);
    case 'hash': return normalizeHash(value);
    case 'CryptoKey': {
      const handle = handleOf(value);
      if (handle === null) throw new TypeErrorCtor(`${context} is not of type 'CryptoKey'.`);
      return handle;
    }
  }
}

/** A hash member is normalized as a digest algorithm; MD5 digests, but is no hash for a key. */
function normalizeHash(value: unknown): string {
  const { name } = normalizeAlgorithm(value, 'digest');
  if (MapPrototypeGet(HASHES, StringPrototypeToLowerCase(name)) === undefined) throw notSupported(name, 'digest');
  return name;
}

/** wrapKey and unwrapKey also take any algorithm that encrypts or decrypts. */
export function normalizeWrapAlgorithm(algorithm: unknown, op: 'wrapKey' | 'unwrapKey'): Normalized {
  try {
    return normalizeAlgorithm(algorithm, op);
  } catch (err) {
    if (!(err instanceof DOMException) || err.name !== 'NotSupportedError') throw err;
    return normalizeAlgorithm(algorithm, op === 'wrapKey' ? 'encrypt' : 'decrypt');
  }
}

/**
 * deriveKey normalizes the derived key's algorithm twice: for importKey, and for "get key length"
 * (which is where an AES key's length comes from). The host gets the members of both.
 */
export function normalizeDerivedKeyAlgorithm(algorithm: unknown): Normalized {
  const imported = normalizeAlgorithm(algorithm, 'importKey');
  const length = normalizeAlgorithm(algorithm, 'get key length');
  const pairs = imported.pairs;
  for (let i = 2; i < length.pairs.length; i += 2) {
    let present = false;
    for (let j = 0; j < pairs.length; j += 2) if (pairs[j] === length.pairs[i]) present = true;
    if (!present) {
      pairs[pairs.length] = length.pairs[i];
      pairs[pairs.length] = length.pairs[i + 1];
    }
  }
  return { name: imported.name, pairs };
}
