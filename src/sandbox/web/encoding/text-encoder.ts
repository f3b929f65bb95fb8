// @see https://encoding.spec.whatwg.org/#interface-textencoder
import { Op } from '../../../shared/boundary.js';
import { hostCall } from '../../bootstrap/host.js';

// Below this length a JS loop beats a boundary crossing plus two copies.
const HOST_ENCODE_THRESHOLD = 256;

/** UTF-8 encodes a string; lone surrogates become U+FFFD, as USVString conversion requires. */
export function utf8Encode(input: string): Uint8Array {
  if (input.length > HOST_ENCODE_THRESHOLD) return new Uint8Array(hostCall(Op.TextEncode, input) as ArrayBuffer);
  const out = new Uint8Array(input.length * 3);
  let n = 0;
  for (let i = 0; i < input.length; i++) {
    let c = input.charCodeAt(i);
    if (c < 0x80) { out[n++] = c; continue; }
    if (c < 0x800) { out[n++] = 0xc0 | (c >> 6); out[n++] = 0x80 | (c & 63); continue; }
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = input.charCodeAt(i + 1);
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
        i++;
        out[n++] = 0xf0 | (c >> 18); out[n++] = 0x80 | ((c >> 12) & 63);
        out[n++] = 0x80 | ((c >> 6) & 63); out[n++] = 0x80 | (c & 63);
        continue;
      }
      c = 0xfffd;
    }
    out[n++] = 0xe0 | (c >> 12); out[n++] = 0x80 | ((c >> 6) & 63); out[n++] = 0x80 | (c & 63);
  }
  return out.subarray(0, n);
}

export class TextEncoder {
  get encoding(): string { return 'utf-8'; }
  encode(input: unknown = ''): Uint8Array {
    const bytes = utf8Encode(`${input as string}`);
    return bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
  }
  encodeInto(source: unknown, destination: Uint8Array): { read: number; written: number } {
    if (!(destination instanceof Uint8Array)) throw new TypeError('encodeInto: destination must be a Uint8Array');
    const input = `${source as string}`;
    const capacity = destination.byteLength;
    let read = 0, written = 0;
    // Code point by code point, so that a character that does not fit whole is not written at all.
    while (read < input.length) {
      let c = input.charCodeAt(read);
      let units = 1;
      if (c >= 0xd800 && c <= 0xdfff) {
        const next = input.charCodeAt(read + 1);
        if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
          units = 2;
        } else {
          c = 0xfffd;
        }
      }
      const size = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
      if (written + size > capacity) break;
      if (size === 1) destination[written] = c;
      else if (size === 2) {
        destination[written] = 0xc0 | (c >> 6); destination[written + 1] = 0x80 | (c & 63);
      } else if (size === 3) {
        destination[written] = 0xe0 | (c >> 12); destination[written + 1] = 0x80 | ((c >> 6) & 63);
        destination[written + 2] = 0x80 | (c & 63);
      } else {
        destination[written] = 0xf0 | (c >> 18); destination[written + 1] = 0x80 | ((c >> 12) & 63);
        destination[written + 2] = 0x80 | ((c >> 6) & 63); destination[written + 3] = 0x80 | (c & 63);
      }
      written += size;
      read += units;
    }
    return { read, written };
  }
}
Object.defineProperty(TextEncoder.prototype, Symbol.toStringTag, { value: 'TextEncoder', configurable: true });
