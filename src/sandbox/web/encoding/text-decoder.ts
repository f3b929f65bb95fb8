// @see https://encoding.spec.whatwg.org/#interface-textdecoder
// Decoding runs on the host (ICU, every WHATWG encoding) behind one call per chunk. Streaming keeps
// an incomplete UTF-8 sequence at the end of a chunk here until the next chunk completes it.
import { Op } from '../../../shared/boundary.js';
import { hostCall } from '../../bootstrap/host.js';
import { toBytes } from './bytes.js';

const UTF8_LABELS = new Set(['unicode-1-1-utf-8', 'unicode11utf8', 'unicode20utf8', 'utf-8', 'utf8', 'x-unicode20utf8']);

export class TextDecoder {
  readonly #encoding: string;
  readonly #fatal: boolean;
  readonly #ignoreBOM: boolean;
  #tail: Uint8Array | null = null;
  #started = false;

  constructor(label: unknown = 'utf-8', options: { fatal?: boolean; ignoreBOM?: boolean } = {}) {
    const normalized = String(label).trim().toLowerCase();
    this.#fatal = Boolean(options?.fatal);
    this.#ignoreBOM = Boolean(options?.ignoreBOM);
    if (UTF8_LABELS.has(normalized)) { this.#encoding = 'utf-8'; return; }
    // The host validates the label and tells us the canonical name.
    this.#encoding = hostCall(Op.TextDecode, new ArrayBuffer(0), normalized, false, false, true) as string;
  }
  get encoding(): string { return this.#encoding; }
  get fatal(): boolean { return this.#fatal; }
  get ignoreBOM(): boolean { return this.#ignoreBOM; }

  decode(input?: unknown, options: { stream?: boolean } = {}): string {
    let bytes = input === undefined ? new Uint8Array(0) : toBytes(input, 'decode');
    const stream = Boolean(options?.stream);
    if (this.#tail !== null) {
      const joined = new Uint8Array(this.#tail.byteLength + bytes.byteLength);
      joined.set(this.#tail, 0);
      joined.set(bytes, this.#tail.byteLength);
      bytes = joined;
      this.#tail = null;
    }
    if (stream && this.#encoding === 'utf-8') {
      const cut = incompleteUtf8Suffix(bytes);
      if (cut > 0) {
        this.#tail = bytes.slice(bytes.byteLength - cut);
        bytes = bytes.subarray(0, bytes.byteLength - cut);
      }
    }
    // The BOM is only stripped at the very start of a stream.
    const ignoreBOM = this.#ignoreBOM || this.#started;
    const copy = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes.buffer : bytes.slice().buffer;
    const text = hostCall(Op.TextDecode, copy, this.#encoding, this.#fatal, ignoreBOM, false) as string;
    this.#started = stream;
    return text;
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
