// @see https://html.spec.whatwg.org/multipage/webappapis.html#atob (forgiving-base64)
import { DOMException } from '../dom/dom-exception.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const LOOKUP = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) LOOKUP[ALPHABET.charCodeAt(i)] = i;

export function btoa(data: unknown): string {
  if (arguments.length === 0) throw new TypeError("Failed to execute 'btoa': 1 argument required, but only 0 present.");
  const input = String(data);
  let out = '';
  for (let i = 0; i < input.length; i += 3) {
    const a = input.charCodeAt(i), b = input.charCodeAt(i + 1), c = input.charCodeAt(i + 2);
    if (a > 255 || b > 255 || c > 255) {
      throw new DOMException('Invalid character', 'InvalidCharacterError');
    }
    const n = (a << 16) | ((b || 0) << 8) | (c || 0);
    out += ALPHABET[(n >> 18) & 63]! + ALPHABET[(n >> 12) & 63]!;
    out += i + 1 < input.length ? ALPHABET[(n >> 6) & 63]! : '=';
    out += i + 2 < input.length ? ALPHABET[n & 63]! : '=';
  }
  return out;
}

export function atob(data: unknown): string {
  if (arguments.length === 0) throw new TypeError("Failed to execute 'atob': 1 argument required, but only 0 present.");
  // 1. Remove all ASCII whitespace.
  let input = String(data).replace(/[\t\n\f\r ]/g, '');
  // 2. If length % 4 == 0, remove one or two trailing "=".
  if (input.length % 4 === 0) input = input.replace(/==?$/, '');
  // 3-4. Length % 4 == 1, or a code point outside the alphabet: failure.
  if (input.length % 4 === 1 || /[^A-Za-z0-9+/]/.test(input)) {
    throw new DOMException('The string to be decoded is not correctly encoded.', 'InvalidCharacterError');
  }
  let out = '';
  let buffer = 0, bits = 0;
  for (let i = 0; i < input.length; i++) {
    buffer = (buffer << 6) | LOOKUP[input.charCodeAt(i)]!;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += String.fromCharCode((buffer >> bits) & 255);
    }
  }
  return out;
}
