// The host half of crypto.subtle and crypto.DigestStream: the cryptography is Node's WebCrypto (and
// node:crypto hashes for the streaming and MD5 digests Workers adds), behind narrow ops that take
// data and handles only. Node's own WebCrypto checks (usages, key types, key data) produce the
// DOMExceptions the spec names; only their name and message travel back.
// @see https://w3c.github.io/webcrypto/#subtlecrypto-interface
import { createHash, webcrypto } from 'node:crypto';
import { ErrorKind, Op, type ErrorKindCode, type HostReply } from '../../../shared/boundary.js';
import {
  HASHES, InvalidArgument, NODE_ED25519, Refusal, checkDerive, checkGenerate, checkImported, derivedLength, parseAlgorithm,
  parseBoolean, parseBytes, parseDerivedBits, parseFormat, parseKeyData, parseUsages, type Algorithm,
} from './crypto-params.js';
import { MAX_HANDLES, cryptoTableFor, type CryptoTable, type KeyEntry } from './crypto-table.js';
import { ok, typeError } from './reply.js';

const { subtle } = webcrypto;
type AsyncReply = HostReply | Promise<HostReply>;

const DOM_KINDS: Record<string, ErrorKindCode> = {
  NotSupportedError: ErrorKind.NotSupportedError, InvalidAccessError: ErrorKind.InvalidAccessError,
  DataError: ErrorKind.DataError, OperationError: ErrorKind.OperationError, SyntaxError: ErrorKind.DOMSyntaxError,
  QuotaExceededError: ErrorKind.QuotaExceededError,
};
const NODE_HASHES: Record<string, string> = { 'SHA-1': 'sha1', 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512', MD5: 'md5' };

const succeeded = (value: unknown): HostReply => ok([1, value]);

/** An outcome for the tenant: the kind and message only, never the host's error object or stack. */
function failed(err: unknown): HostReply {
  if (err instanceof InvalidArgument) return typeError(err.message);
  if (err instanceof Refusal) return ok([0, err.kind, err.message]);
  if (err instanceof DOMException && Object.hasOwn(DOM_KINDS, err.name)) return ok([0, DOM_KINDS[err.name], err.message]);
  if (err instanceof TypeError) return ok([0, ErrorKind.TypeError, err.message]);
  return ok([0, ErrorKind.OperationError, 'The operation failed for an operation-specific reason.']);
}

function tableFull(): Refusal {
  return new Refusal(ErrorKind.QuotaExceededError, `This worker holds too many CryptoKeys and DigestStreams (the limit is ${MAX_HANDLES}).`);
}

/** Puts a key Node produced into the table and describes it for the runtime's CryptoKey. */
function keyRecord(table: CryptoTable, key: webcrypto.CryptoKey, alias: string | null): unknown[] {
  const handle = table.add({ kind: 'key', key, alias });
  if (handle === null) throw tableFull();
  const algorithm = key.algorithm as unknown as Record<string, unknown>;
  const pairs: unknown[] = ['name', alias ?? algorithm['name']];
  if (alias === NODE_ED25519) pairs.push('namedCurve', NODE_ED25519);
  else {
    for (const [member, value] of Object.entries(algorithm)) {
      if (member === 'name') continue;
      if (member === 'hash') pairs.push(member, (value as { name: string }).name);
      else if (value instanceof Uint8Array) pairs.push(member, value.slice().buffer);
      else pairs.push(member, value);
    }
  }
  return [handle, key.type, key.extractable, [...key.usages], pairs];
}

const aliasOf = (algorithm: Algorithm): string | null => (algorithm.name === NODE_ED25519 ? NODE_ED25519 : null);

function keyOf(table: CryptoTable, handle: unknown): KeyEntry {
  const entry = table.key(handle);
  if (entry === null) throw new InvalidArgument('invalid key handle');
  return entry;
}

/** Node sees one Ed25519 under both names; Workers keeps a key to the name it was made with. */
function checkAlias(algorithm: Algorithm, entry: KeyEntry): void {
  const keyName = entry.alias ?? entry.key.algorithm.name;
  if ((algorithm.name === NODE_ED25519 || entry.alias !== null) && algorithm.name !== keyName) {
    throw new Refusal(ErrorKind.InvalidAccessError, `Requested algorithm "${algorithm.name}" does not match this CryptoKey's algorithm "${keyName}".`);
  }
}

interface Work { bytes: number; run: () => Promise<unknown> }

const byteLength = (...values: unknown[]): number =>
  values.reduce<number>((n, v) => n + (v instanceof ArrayBuffer ? v.byteLength : typeof v === 'string' ? v.length : 0), 0);

/** Checks one op's arguments and returns the work to schedule; throws on anything malformed. */
function prepare(op: number, args: unknown[], table: CryptoTable): Work {
  switch (op) {
    case Op.CryptoDigest: {
      const [, name, data] = args;
      if (typeof name !== 'string' || !Object.hasOwn(NODE_HASHES, name)) throw new InvalidArgument('invalid digest algorithm');
      const bytes = parseBytes(data);
      return {
        bytes: bytes.byteLength,
        run: async () => {
          if (!HASHES.has(name)) return toArrayBuffer(createHash(NODE_HASHES[name]!).update(new Uint8Array(bytes)).digest());
          return subtle.digest(name, bytes);
        },
      };
    }
    case Op.CryptoGenerateKey: {
      const algorithm = parseAlgorithm(args[1], table);
      const extractable = parseBoolean(args[2]);
      const usages = parseUsages(args[3]);
      checkGenerate(algorithm);
      return {
        bytes: 0,
        run: async () => {
          const result = await subtle.generateKey(algorithm.params, extractable, usages) as webcrypto.CryptoKey | webcrypto.CryptoKeyPair;
          if (!('privateKey' in result)) return [keyRecord(table, result, aliasOf(algorithm))];
          const publicRecord = keyRecord(table, result.publicKey, aliasOf(algorithm));
          try {
            return [publicRecord, keyRecord(table, result.privateKey, aliasOf(algorithm))];
          } catch (err) {
            table.release(publicRecord[0]);
            throw err;
          }
        },
      };
    }
    case Op.CryptoImportKey: {
      const format = parseFormat(args[1]);
      const data = parseKeyData(format, args[2]);
      const algorithm = parseAlgorithm(args[3], table);
      const extractable = parseBoolean(args[4]);
      const usages = parseUsages(args[5]);
      return {
        bytes: byteLength(args[2]),
        run: async () => {
          const key = format === 'jwk'
            ? await subtle.importKey('jwk', data as webcrypto.JsonWebKey, algorithm.params, extractable, usages)
            : await subtle.importKey(format, data as ArrayBuffer, algorithm.params, extractable, usages);
          checkImported(key);
          return keyRecord(table, key, aliasOf(algorithm));
        },
      };
    }
    case Op.CryptoExportKey: {
      const format = parseFormat(args[1]);
      const { key } = keyOf(table, args[2]);
      return {
        bytes: 0,
        run: async () => {
          // A JWK crosses as JSON text, which the runtime parses into an object of its own.
          if (format === 'jwk') return JSON.stringify(await subtle.exportKey(format, key));
          return subtle.exportKey(format, key);
        },
      };
    }
    case Op.CryptoSign: case Op.CryptoEncrypt: case Op.CryptoDecrypt: {
      const algorithm = parseAlgorithm(args[1], table);
      const entry = keyOf(table, args[2]);
      const data = parseBytes(args[3]);
      if (op === Op.CryptoSign) checkAlias(algorithm, entry);
      const method = op === Op.CryptoSign ? 'sign' : op === Op.CryptoEncrypt ? 'encrypt' : 'decrypt';
      return { bytes: data.byteLength, run: () => subtle[method](algorithm.params, entry.key, data) };
    }
    case Op.CryptoVerify: {
      const algorithm = parseAlgorithm(args[1], table);
      const entry = keyOf(table, args[2]);
      const signature = parseBytes(args[3]);
      const data = parseBytes(args[4]);
      checkAlias(algorithm, entry);
      return { bytes: signature.byteLength + data.byteLength, run: () => subtle.verify(algorithm.params, entry.key, signature, data) };
    }
    case Op.CryptoDeriveBits: {
      const algorithm = parseAlgorithm(args[1], table);
      const { key } = keyOf(table, args[2]);
      const length = parseDerivedBits(args[3]);
      checkDerive(algorithm, length);
      return { bytes: 0, run: () => subtle.deriveBits(algorithm.params as never, key, length) };
    }
    case Op.CryptoDeriveKey: {
      const algorithm = parseAlgorithm(args[1], table);
      const { key } = keyOf(table, args[2]);
      const derived = parseAlgorithm(args[3], table);
      const extractable = parseBoolean(args[4]);
      const usages = parseUsages(args[5]);
      checkDerive(algorithm, derivedLength(derived));
      return {
        bytes: 0,
        run: async () => keyRecord(table, await subtle.deriveKey(algorithm.params as never, key, derived.params, extractable, usages), null),
      };
    }
    case Op.CryptoWrapKey: {
      const format = parseFormat(args[1]);
      const { key } = keyOf(table, args[2]);
      const wrapping = keyOf(table, args[3]);
      const algorithm = parseAlgorithm(args[4], table);
      return { bytes: 0, run: () => subtle.wrapKey(format, key, wrapping.key, algorithm.params) };
    }
    case Op.CryptoUnwrapKey: {
      const format = parseFormat(args[1]);
      const wrapped = parseBytes(args[2]);
      const unwrapping = keyOf(table, args[3]);
      const algorithm = parseAlgorithm(args[4], table);
      const keyAlgorithm = parseAlgorithm(args[5], table);
      const extractable = parseBoolean(args[6]);
      const usages = parseUsages(args[7]);
      return {
        bytes: wrapped.byteLength,
        run: async () => {
          const key = await subtle.unwrapKey(format, wrapped, unwrapping.key, algorithm.params, keyAlgorithm.params, extractable, usages);
          checkImported(key);
          return keyRecord(table, key, aliasOf(keyAlgorithm));
        },
      };
    }
    default:
      throw new InvalidArgument(`Unknown crypto operation ${String(op)}`);
  }
}

function toArrayBuffer(buf: Buffer): ArrayBuffer {
  return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
}

/**
 * One crypto.subtle operation of the worker instance `owner`. Answers `[1, value]` or
 * `[0, kind, message]` as the op's value once Node's WebCrypto settles.
 */
export function cryptoAsyncOp(owner: object, op: number, args: unknown[], inRequest: boolean): AsyncReply {
  // Refused before any work starts: a key made now could never be handed over, and would stay in
  // the table until the isolate goes.
  if (!inRequest) return typeError('I/O is only possible while handling a request.');
  const table = cryptoTableFor(owner);
  try {
    const work = prepare(op, args, table);
    const started = table.schedule(work.bytes, work.run);
    if (started === null) return failed(new Refusal(ErrorKind.QuotaExceededError, 'This worker has too many crypto operations waiting.'));
    return started.then(succeeded, failed);
  } catch (err) {
    return failed(err);
  }
}

/** The synchronous crypto ops: releasing handles and the incremental hashes behind DigestStream. */
export function cryptoSyncOp(owner: object, op: number, args: unknown[]): HostReply {
  const table = cryptoTableFor(owner);
  switch (op) {
    case Op.CryptoRelease: {
      const [handles] = args;
      if (!Array.isArray(handles) || handles.length > MAX_HANDLES) return typeError('invalid handles');
      for (const handle of handles) table.release(handle);
      return ok(null);
    }
    case Op.DigestStreamCreate: {
      const [name] = args;
      if (typeof name !== 'string' || !Object.hasOwn(NODE_HASHES, name)) return typeError('invalid digest algorithm');
      // Null when the table is full; the runtime reports that as a QuotaExceededError.
      return ok(table.add({ kind: 'hash', hash: createHash(NODE_HASHES[name]!) }));
    }
    case Op.DigestStreamWrite: {
      const [handle, chunk] = args;
      const entry = table.hash(handle);
      if (entry === null) return typeError('invalid digest handle');
      if (typeof chunk === 'string') {
        const bytes = Buffer.from(chunk, 'utf8');
        entry.hash.update(bytes);
        return ok(bytes.byteLength);
      }
      if (!(chunk instanceof ArrayBuffer)) return typeError('invalid chunk');
      entry.hash.update(new Uint8Array(chunk));
      return ok(chunk.byteLength);
    }
    case Op.DigestStreamFinish: {
      const [handle] = args;
      const entry = table.hash(handle);
      if (entry === null) return typeError('invalid digest handle');
      table.release(handle);
      return ok(toArrayBuffer(entry.hash.digest()));
    }
    default:
      return typeError(`Unknown crypto operation ${String(op)}`);
  }
}
