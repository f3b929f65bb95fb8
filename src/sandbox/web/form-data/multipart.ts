// FormData as a body, both ways: the multipart/form-data encoding fetch uses to extract one, and the
// parsers formData() uses to read multipart/form-data and application/x-www-form-urlencoded bodies.
// @see https://html.spec.whatwg.org/multipage/form-control-infrastructure.html#multipart/form-data-encoding-algorithm
// @see https://fetch.spec.whatwg.org/#dom-body-formdata
import { Op } from '../../../shared/boundary.js';
import { hostCall } from '../../bootstrap/host.js';
import {
  ArrayPrototypePush, StringFromCharCode, StringPrototypeCharCodeAt, StringPrototypeIndexOf,
  StringPrototypeSlice, StringPrototypeToLowerCase, StringPrototypeTrim, TypeErrorCtor, Uint8ArrayCtor,
} from '../../bootstrap/primordials.js';
import { blobBytes } from '../blob/blob.js';
import { File } from '../blob/file.js';
import { TypedArrayPrototypeIndexOf, TypedArrayPrototypeSubarray } from '../dom/builtins.js';
import { concatBytes, exactBuffer } from '../encoding/bytes.js';
import { utf8Encode } from '../encoding/text-encoder.js';
import { formDataEntries, formDataOf, type FormData, type FormDataEntry } from './form-data.js';
import { parseMimeType } from './mime.js';

const CR = 0x0d, LF = 0x0a, QUOTE = 0x22;

/** Lone CR and lone LF become CRLF, as the encoding algorithm requires of names and string values. */
function normalizeNewlines(text: string): string {
  if (StringPrototypeIndexOf(text, '\r') === -1 && StringPrototypeIndexOf(text, '\n') === -1) return text;
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = StringPrototypeCharCodeAt(text, i);
    if (c === CR) { out += '\r\n'; if (StringPrototypeCharCodeAt(text, i + 1) === LF) i++; } else if (c === LF) out += '\r\n';
    else out += text[i];
  }
  return out;
}

/** Field names and filenames go inside a quoted header parameter: LF, CR and '"' are percent-encoded. */
function escapeQuoted(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = StringPrototypeCharCodeAt(text, i);
    out += c === LF ? '%0A' : c === CR ? '%0D' : c === QUOTE ? '%22' : text[i];
  }
  return out;
}

function newBoundary(): string {
  const random = new Uint8ArrayCtor(hostCall(Op.RandomBytes, 12) as ArrayBuffer);
  let hex = '';
  for (let i = 0; i < random.length; i++) hex += (random[i]! < 16 ? '0' : '') + random[i]!.toString(16);
  return `----formdata-islet-${hex}`;
}

/** @see https://fetch.spec.whatwg.org/#concept-bodyinit-extract (the FormData case) */
export function encodeFormData(formData: FormData): { bytes: Uint8Array; contentType: string } {
  const boundary = newBoundary();
  const entries = formDataEntries(formData);
  const chunks: Uint8Array[] = [];
  let total = 0;
  let text = '';
  const flush = (bytes: Uint8Array | null) => {
    if (text !== '') { const encoded = utf8Encode(text); ArrayPrototypePush(chunks, encoded); total += encoded.byteLength; text = ''; }
    if (bytes !== null && bytes.byteLength > 0) { ArrayPrototypePush(chunks, bytes); total += bytes.byteLength; }
  };
  for (let i = 0; i < entries.length; i++) {
    const name = entries[i]![0], value = entries[i]![1];
    text += `--${boundary}\r\nContent-Disposition: form-data; name="${escapeQuoted(normalizeNewlines(name))}"`;
    if (typeof value === 'string') {
      text += `\r\n\r\n${normalizeNewlines(value)}\r\n`;
      continue;
    }
    text += `; filename="${escapeQuoted(value.name)}"\r\nContent-Type: ${value.type === '' ? 'application/octet-stream' : value.type}\r\n\r\n`;
    flush(blobBytes(value));
    text += '\r\n';
  }
  text += `--${boundary}--\r\n`;
  flush(null);
  return { bytes: chunks.length === 1 ? chunks[0]! : concatBytes(chunks, total), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** Short ASCII text, the usual field value, is decoded here: a crossing costs more than the loop. */
function decodeUtf8(bytes: Uint8Array, ignoreBOM: boolean): string {
  if (bytes.byteLength <= 512) {
    let ascii = '';
    let i = 0;
    for (; i < bytes.byteLength && bytes[i]! < 0x80; i++) ascii += StringFromCharCode(bytes[i]!);
    if (i === bytes.byteLength) return ascii;
  }
  return hostCall(Op.TextDecode, exactBuffer(bytes), 'utf-8', false, ignoreBOM, false) as string;
}

function indexOfBytes(haystack: Uint8Array, needle: Uint8Array, from: number): number {
  const first = needle[0]!;
  const last = haystack.byteLength - needle.byteLength;
  for (let i = TypedArrayPrototypeIndexOf(haystack, first, from); i !== -1 && i <= last; i = TypedArrayPrototypeIndexOf(haystack, first, i + 1)) {
    let j = 1;
    while (j < needle.byteLength && haystack[i + j] === needle[j]) j++;
    if (j === needle.byteLength) return i;
  }
  return -1;
}

const FAILED = 'Failed to parse body as FormData.';

/** Decodes the percent-escapes the encoding algorithm puts in names and filenames. */
function unescapeQuoted(text: string): string {
  if (StringPrototypeIndexOf(text, '%') === -1) return text;
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const code = text[i] === '%' ? StringPrototypeToLowerCase(StringPrototypeSlice(text, i + 1, i + 3)) : '';
    if (code === '0a') { out += '\n'; i += 2; } else if (code === '0d') { out += '\r'; i += 2; } else if (code === '22') { out += '"'; i += 2; } else out += text[i];
  }
  return out;
}

/** The name and filename parameters of a `Content-Disposition: form-data` header. */
function parseDisposition(value: string): { name: string | undefined; filename: string | undefined } {
  let rest = StringPrototypeTrim(value);
  if (StringPrototypeToLowerCase(StringPrototypeSlice(rest, 0, 9)) !== 'form-data') throw new TypeErrorCtor(FAILED);
  rest = StringPrototypeSlice(rest, 9);
  let name: string | undefined, filename: string | undefined;
  let i = 0;
  while (i < rest.length) {
    while (i < rest.length && (rest[i] === ';' || rest[i] === ' ' || rest[i] === '\t')) i++;
    const eq = StringPrototypeIndexOf(rest, '=', i);
    if (eq === -1) break;
    const key = StringPrototypeToLowerCase(StringPrototypeTrim(StringPrototypeSlice(rest, i, eq)));
    let j = eq + 1;
    let param: string;
    if (rest[j] === '"') {
      // Browsers percent-encode quotes in names, so the next quote ends the value; a backslash is literal.
      const close = StringPrototypeIndexOf(rest, '"', j + 1);
      if (close === -1) throw new TypeErrorCtor(FAILED);
      param = unescapeQuoted(StringPrototypeSlice(rest, j + 1, close));
      j = close + 1;
    } else {
      let end = StringPrototypeIndexOf(rest, ';', j);
      if (end === -1) end = rest.length;
      param = StringPrototypeTrim(StringPrototypeSlice(rest, j, end));
      j = end;
    }
    if (key === 'name' && name === undefined) name = param;
    else if (key === 'filename' && filename === undefined) filename = param;
    i = j;
  }
  return { name, filename };
}

function parsePart(headerText: string, body: Uint8Array): FormDataEntry {
  let disposition: string | null = null;
  let type = '';
  let start = 0;
  while (start < headerText.length) {
    let end = StringPrototypeIndexOf(headerText, '\r\n', start);
    if (end === -1) end = headerText.length;
    const colon = StringPrototypeIndexOf(headerText, ':', start);
    if (colon !== -1 && colon < end) {
      const header = StringPrototypeToLowerCase(StringPrototypeTrim(StringPrototypeSlice(headerText, start, colon)));
      const value = StringPrototypeTrim(StringPrototypeSlice(headerText, colon + 1, end));
      if (header === 'content-disposition') disposition = value;
      else if (header === 'content-type') type = value;
    }
    start = end + 2;
  }
  if (disposition === null) throw new TypeErrorCtor(FAILED);
  const { name, filename } = parseDisposition(disposition);
  if (name === undefined) throw new TypeErrorCtor(FAILED);
  if (filename !== undefined) return [name, new File([body], filename, { type })];
  return [name, decodeUtf8(body, false)];
}

/** RFC 7578 on RFC 2046's multipart syntax: preamble and epilogue are ignored, transport padding allowed. */
function parseMultipart(bytes: Uint8Array, boundary: string): FormDataEntry[] {
  const delimiter = utf8Encode(`\r\n--${boundary}`);
  const dashBoundary = TypedArrayPrototypeSubarray(delimiter, 2);
  let pos: number;
  if (indexOfBytes(TypedArrayPrototypeSubarray(bytes, 0, dashBoundary.byteLength), dashBoundary, 0) === 0) pos = dashBoundary.byteLength;
  else {
    pos = indexOfBytes(bytes, delimiter, 0);
    if (pos === -1) throw new TypeErrorCtor(FAILED);
    pos += delimiter.byteLength;
  }
  const entries: FormDataEntry[] = [];
  for (;;) {
    if (bytes[pos] === 0x2d && bytes[pos + 1] === 0x2d) return entries;
    while (bytes[pos] === 0x20 || bytes[pos] === 0x09) pos++;
    if (bytes[pos] !== CR || bytes[pos + 1] !== LF) throw new TypeErrorCtor(FAILED);
    pos += 2;
    let headerEnd: number, bodyStart: number;
    if (bytes[pos] === CR && bytes[pos + 1] === LF) { headerEnd = pos; bodyStart = pos + 2; }
    else {
      headerEnd = indexOfBytes(bytes, HEADER_END, pos);
      if (headerEnd === -1) throw new TypeErrorCtor(FAILED);
      bodyStart = headerEnd + 4;
    }
    const next = indexOfBytes(bytes, delimiter, bodyStart - 2);
    if (next === -1 || next < bodyStart - 2) throw new TypeErrorCtor(FAILED);
    const headerText = decodeUtf8(TypedArrayPrototypeSubarray(bytes, pos, headerEnd), true);
    const body = next < bodyStart ? new Uint8ArrayCtor(0) : TypedArrayPrototypeSubarray(bytes, bodyStart, next);
    ArrayPrototypePush(entries, parsePart(headerText, body));
    pos = next + delimiter.byteLength;
  }
}
const HEADER_END = new Uint8ArrayCtor([CR, LF, CR, LF]);

/** The entries of an application/x-www-form-urlencoded body, parsed by the host as URLSearchParams is. */
function parseUrlencoded(bytes: Uint8Array): FormDataEntry[] {
  const text = decodeUtf8(bytes, true);
  const entries: FormDataEntry[] = [];
  if (text === '') return entries;
  const flat = hostCall(Op.UrlSearchParse, text) as string[];
  for (let i = 0; i + 1 < flat.length; i += 2) ArrayPrototypePush(entries, [flat[i]!, flat[i + 1]!] as FormDataEntry);
  return entries;
}

/** @see https://fetch.spec.whatwg.org/#dom-body-formdata */
export function parseFormData(bytes: Uint8Array, contentType: string | null): FormData {
  const mime = contentType === null ? null : parseMimeType(contentType);
  if (mime !== null && mime.essence === 'multipart/form-data') {
    const boundary = mime.parameters.boundary;
    if (boundary === undefined || boundary === '') throw new TypeErrorCtor(FAILED);
    return formDataOf(parseMultipart(bytes, boundary));
  }
  if (mime !== null && mime.essence === 'application/x-www-form-urlencoded') return formDataOf(parseUrlencoded(bytes));
  throw new TypeErrorCtor(FAILED);
}
