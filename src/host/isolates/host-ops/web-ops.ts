// Host halves of the Web APIs whose heavy machinery stays out of the isolates: URL parsing (Node's
// WHATWG parser), text decoding (ICU, every WHATWG encoding), randomness (the OS CSPRNG).
import { randomBytes, randomUUID } from 'node:crypto';
import { TextDecoder } from 'node:util';
import { ErrorKind, type HostReply } from '../../../shared/boundary.js';
import { fail, ok, typeError } from './reply.js';

const SETTERS = new Set(['href', 'protocol', 'username', 'password', 'host', 'hostname', 'port', 'pathname', 'search', 'hash']);

function partsOf(url: URL): string[] {
  return [url.href, url.origin, url.protocol, url.username, url.password, url.host, url.hostname, url.port, url.pathname, url.search, url.hash];
}

/** (input, base?, setterName?, setterValue?) -> parts or null when the input is not a URL. */
export function urlParse(args: unknown[]): HostReply {
  const [input, base, setter, value] = args;
  if (typeof input !== 'string' || (base !== undefined && typeof base !== 'string')) return typeError('URL input must be a string');
  const url = URL.parse(input, base);
  if (url === null) return ok(null);
  if (setter !== undefined) {
    if (typeof setter !== 'string' || !SETTERS.has(setter) || typeof value !== 'string') return typeError('invalid URL setter');
    (url as unknown as Record<string, string>)[setter] = value;
  }
  return ok(partsOf(url));
}

export function urlSearchParse(args: unknown[]): HostReply {
  const [init] = args;
  if (typeof init !== 'string') return typeError('URLSearchParams input must be a string');
  const out: string[] = [];
  // Node's constructor drops a leading "?" from a string; the caller already removed the one the
  // spec removes, so a second "?" belongs to the first name. An empty first pair is skipped.
  for (const [k, v] of new URLSearchParams(`&${init}`)) out.push(k, v);
  return ok(out);
}

export function urlSearchSerialize(args: unknown[]): HostReply {
  const [flat] = args;
  if (!Array.isArray(flat) || flat.length % 2 !== 0 || flat.some((s) => typeof s !== 'string')) return typeError('invalid search params');
  const params = new URLSearchParams();
  for (let i = 0; i < flat.length; i += 2) params.append(flat[i] as string, flat[i + 1] as string);
  return ok(params.toString());
}

const decoders = new Map<string, TextDecoder>();

function cachedDecoder(label: string, fatal: boolean, ignoreBOM: boolean): TextDecoder {
  const key = `${label}\0${fatal}\0${ignoreBOM}`;
  let decoder = decoders.get(key);
  if (decoder === undefined) {
    decoder = new TextDecoder(label, { fatal, ignoreBOM });
    // Bounded: only valid labels get here, so the key space is labels x 4 flag combinations.
    decoders.set(key, decoder);
  }
  return decoder;
}

/** No WHATWG encoding holds back more than this: a gb18030 sequence, or a UTF-16 byte and high surrogate. */
const MAX_HELD_BACK = 4;

/**
 * How many bytes at the end of `bytes` a streaming decoder held back as an unfinished sequence:
 * the fewest whose removal makes a complete decode give exactly what the streaming decode gave.
 */
function heldBack(label: string, ignoreBOM: boolean, bytes: Uint8Array, streamed: string): number {
  const complete = cachedDecoder(label, false, ignoreBOM);
  for (let k = 0; k <= Math.min(bytes.byteLength, MAX_HELD_BACK); k++) {
    if (complete.decode(bytes.subarray(0, bytes.byteLength - k)) === streamed) return k;
  }
  return 0;
}

/**
 * (bytes, label, fatal, ignoreBOM, labelOnly, stream) -> text; the canonical encoding name when
 * labelOnly; [text, bytesHeldBack] when stream, for the caller to put before its next chunk.
 * Decoders here are shared and keep no state between calls: a stream's state is those held-back bytes.
 */
export function textDecode(args: unknown[]): HostReply {
  const [bytes, label, fatal, ignoreBOM, labelOnly, stream] = args;
  if (!(bytes instanceof ArrayBuffer) || typeof label !== 'string') return typeError('invalid decode arguments');
  let decoder: TextDecoder;
  try {
    decoder = cachedDecoder(label, fatal === true, ignoreBOM === true);
  } catch {
    return fail(ErrorKind.RangeError, `Failed to construct 'TextDecoder': The encoding label provided ('${label}') is invalid.`);
  }
  if (labelOnly === true) return ok(decoder.encoding);
  try {
    if (stream !== true) return ok(decoder.decode(bytes));
    const view = new Uint8Array(bytes);
    const text = new TextDecoder(label, { fatal: fatal === true, ignoreBOM: ignoreBOM === true }).decode(view, { stream: true });
    return ok([text, heldBack(label, ignoreBOM === true, view, text)]);
  } catch {
    return typeError(`The encoded data was not valid for encoding ${decoder.encoding}`);
  }
}

export function textEncode(args: unknown[]): HostReply {
  const [text] = args;
  if (typeof text !== 'string') return typeError('TextEncoder input must be a string');
  const buf = Buffer.from(text, 'utf8');
  return ok(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

export function randomBytesOp(args: unknown[]): HostReply {
  const [length] = args;
  if (typeof length !== 'number' || !Number.isInteger(length) || length < 0 || length > 65536) return typeError('invalid length');
  const buf = randomBytes(length);
  return ok(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

export function randomUuidOp(): HostReply { return ok(randomUUID()); }

/** The bridge already copied the value out of the isolate; returning it copies it back in. */
export function structuredCloneOp(args: unknown[]): HostReply { return ok(args[0]); }
