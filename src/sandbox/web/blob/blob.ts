// @see https://w3c.github.io/FileAPI/#blob-section
import { utf8Encode } from '../encoding/text-encoder.js';
import { concatBytes, exactBuffer, toBytes } from '../encoding/bytes.js';
import { Op } from '../../../shared/boundary.js';
import { hostCall } from '../../bootstrap/host.js';
import { streamOfBytes, type AnyReadableStream } from '../streams/streams.js';

let bytesOf: (blob: Blob) => Uint8Array;
/** The bytes behind a Blob, for bodies and the boundary; tenants cannot reach this. */
export function blobBytes(blob: Blob): Uint8Array { return bytesOf(blob); }

export class Blob {
  static { bytesOf = (blob) => blob.#bytes; }
  readonly #bytes: Uint8Array;
  readonly #type: string;

  constructor(parts: unknown = [], options: { type?: unknown } = {}) {
    if (typeof parts !== 'object' || parts === null || typeof (parts as { [Symbol.iterator]?: unknown })[Symbol.iterator] !== 'function') {
      throw new TypeError("Failed to construct 'Blob': The provided value cannot be converted to a sequence.");
    }
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (const part of parts as Iterable<unknown>) {
      const bytes = part instanceof Blob ? part.#bytes
        : part instanceof ArrayBuffer || ArrayBuffer.isView(part) ? toBytes(part, 'Blob').slice()
        : utf8Encode(String(part));
      chunks.push(bytes);
      total += bytes.byteLength;
    }
    this.#bytes = concatBytes(chunks, total);
    const type = options?.type === undefined ? '' : String(options.type);
    this.#type = /[^\u0020-\u007e]/.test(type) ? '' : type.toLowerCase();
  }

  get size(): number { return this.#bytes.byteLength; }
  get type(): string { return this.#type; }
  slice(start?: number, end?: number, contentType?: string): Blob {
    const size = this.#bytes.byteLength;
    const clamp = (n: number | undefined, fallback: number) => {
      if (n === undefined) return fallback;
      const i = Math.trunc(Number(n)) || 0;
      return i < 0 ? Math.max(size + i, 0) : Math.min(i, size);
    };
    const from = clamp(start, 0), to = clamp(end, size);
    return new Blob([this.#bytes.subarray(from, Math.max(from, to))], { type: contentType ?? '' });
  }
  async arrayBuffer(): Promise<ArrayBuffer> { return exactBuffer(this.#bytes.slice()); }
  async bytes(): Promise<Uint8Array> { return this.#bytes.slice(); }
  async text(): Promise<string> {
    return hostCall(Op.TextDecode, exactBuffer(this.#bytes.slice()), 'utf-8', false, false, false) as string;
  }
  stream(): AnyReadableStream { return streamOfBytes(this.#bytes); }
}
Object.defineProperty(Blob.prototype, Symbol.toStringTag, { value: 'Blob', configurable: true });
