// @see https://encoding.spec.whatwg.org/#interface-textdecoder
// Decoding runs on the host (ICU, every WHATWG encoding) behind one call per chunk. The host keeps
// no state between calls: a streaming decoder keeps the bytes of an unfinished sequence here and puts
// them before the next chunk, and the BOM is handled here so that it is dropped once per stream.
import { Op } from '../../../shared/boundary.js';
import { hostCall } from '../../bootstrap/host.js';
import {
  RangeErrorCtor, RegExpPrototypeExec, StringPrototypeCharCodeAt, StringPrototypeSlice, StringPrototypeToLowerCase, Uint8ArrayCtor,
} from '../../bootstrap/primordials.js';
import { exactBuffer, toBytes } from './bytes.js';

const UTF8_LABELS = new Set(['unicode-1-1-utf-8', 'unicode11utf8', 'unicode20utf8', 'utf-8', 'utf8', 'x-unicode20utf8']);
/** The encodings whose decoders drop a leading byte order mark. */
const BOM_ENCODINGS = new Set(['utf-8', 'utf-16le', 'utf-16be']);
const NON_ASCII = /[^\0-\x7f]/;
// Through exec: String.prototype.replace would call the RegExp's exec, which a tenant may have replaced.
const TRIMMED = /^[\t\n\f\r ]*([^]*?)[\t\n\f\r ]*$/;

/** @see https://encoding.spec.whatwg.org/#concept-encoding-get: ASCII whitespace and ASCII case only. */
function normalizeLabel(label: string): string | null {
  if (RegExpPrototypeExec(NON_ASCII, label) !== null) return null;
  return StringPrototypeToLowerCase(RegExpPrototypeExec(TRIMMED, label)![1]!);
}

export class TextDecoder {
  readonly #encoding: string;
  readonly #fatal: boolean;
  readonly #ignoreBOM: boolean;
  #tail: Uint8Array | null = null;
  #bomSeen = false;

  constructor(label: unknown = 'utf-8', options: { fatal?: boolean; ignoreBOM?: boolean } = {}) {
    const text = `${label as string}`;
    const normalized = normalizeLabel(text);
    this.#fatal = Boolean(options?.fatal);
    this.#ignoreBOM = Boolean(options?.ignoreBOM);
    if (normalized !== null && UTF8_LABELS.has(normalized)) { this.#encoding = 'utf-8'; return; }
    if (normalized === null || normalized === '') {
      throw new RangeErrorCtor(`Failed to construct 'TextDecoder': The encoding label provided ('${text}') is invalid.`);
    }
    // The host validates the label and tells us the canonical name.
    this.#encoding = hostCall(Op.TextDecode, new ArrayBuffer(0), normalized, false, false, true) as string;
  }
  get encoding(): string { return this.#encoding; }
  get fatal(): boolean { return this.#fatal; }
  get ignoreBOM(): boolean { return this.#ignoreBOM; }

  decode(input?: unknown, options: { stream?: boolean } = {}): string {
    let bytes = input === undefined ? new Uint8ArrayCtor(0) : toBytes(input, 'decode');
    const stream = Boolean(options?.stream);
    if (this.#tail !== null) {
      const joined = new Uint8ArrayCtor(this.#tail.byteLength + bytes.byteLength);
      joined.set(this.#tail, 0);
      joined.set(bytes, this.#tail.byteLength);
      bytes = joined;
      this.#tail = null;
    }
    let text: string;
    try {
      text = this.#decodeChunk(bytes, stream);
    } catch (err) {
      this.#bomSeen = false;
      this.#tail = null;
      throw err;
    }
    if (!this.#ignoreBOM && !this.#bomSeen && text !== '' && BOM_ENCODINGS.has(this.#encoding)) {
      this.#bomSeen = true;
      if (StringPrototypeCharCodeAt(text, 0) === 0xfeff) text = StringPrototypeSlice(text, 1);
    }
    // The end of a stream starts the decoder afresh.
    if (!stream) this.#bomSeen = false;
    return text;
  }

  #decodeChunk(bytes: Uint8Array, stream: boolean): string {
    if (stream && this.#encoding === 'utf-8') {
      // UTF-8 sequences are self-delimiting, so the unfinished one is found here without a crossing.
      const cut = incompleteUtf8Suffix(bytes);
      if (cut > 0) {
        this.#tail = bytes.slice(bytes.byteLength - cut);
        bytes = bytes.subarray(0, bytes.byteLength - cut);
      }
    } else if (stream) {
      const [text, held] = hostCall(Op.TextDecode, exactBuffer(bytes), this.#encoding, this.#fatal, true, false, true) as [string, number];
      if (held > 0) this.#tail = bytes.slice(bytes.byteLength - held);
      return text;
    }
    return hostCall(Op.TextDecode, exactBuffer(bytes), this.#encoding, this.#fatal, true, false) as string;
  }
}
Object.defineProperty(TextDecoder.prototype, Symbol.toStringTag, { value: 'TextDecoder', configurable: true });

/** How many bytes at the end start a UTF-8 sequence that the next chunk may complete. */
function incompleteUtf8Suffix(bytes: Uint8Array): number {
  const n = bytes.byteLength;
  for (let back = 1; back <= 3 && back <= n; back++) {
    const b = bytes[n - back]!;
    if ((b & 0xc0) === 0x80) continue; // continuation byte: keep looking for the lead
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return need > back ? back : 0;
  }
  return 0;
}

/** decode() as the runtime booted with it, for TextDecoderStream: the prototype's can be replaced. */
export const TextDecoderPrototypeDecode = TextDecoder.prototype.decode;
