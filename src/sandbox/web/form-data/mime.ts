// @see https://mimesniff.spec.whatwg.org/#parse-a-mime-type
import {
  ObjectCreate, RegExpPrototypeExec, StringPrototypeCharCodeAt, StringPrototypeIndexOf, StringPrototypeSlice,
  StringPrototypeToLowerCase,
} from '../../bootstrap/primordials.js';

export interface MimeType { essence: string; parameters: Record<string, string> }

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const QUOTED_STRING_CODE_POINTS = /^[\t\u0020-\u007e\u0080-\u00ff]*$/;

const isWhitespace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;

function trim(text: string): string {
  let start = 0, end = text.length;
  while (start < end && isWhitespace(StringPrototypeCharCodeAt(text, start))) start++;
  while (end > start && isWhitespace(StringPrototypeCharCodeAt(text, end - 1))) end--;
  return StringPrototypeSlice(text, start, end);
}

/** null when the input is not a valid MIME type. Parameter names are lowercased; the first wins. */
export function parseMimeType(input: string): MimeType | null {
  const text = trim(input);
  const slash = StringPrototypeIndexOf(text, '/');
  if (slash === -1) return null;
  const type = StringPrototypeSlice(text, 0, slash);
  let semicolon = StringPrototypeIndexOf(text, ';', slash);
  if (semicolon === -1) semicolon = text.length;
  const subtype = trim(StringPrototypeSlice(text, slash + 1, semicolon));
  if (RegExpPrototypeExec(TOKEN, type) === null || RegExpPrototypeExec(TOKEN, subtype) === null) return null;
  const parameters = ObjectCreate(null) as Record<string, string>;
  let position = semicolon;
  while (position < text.length) {
    position++;
    while (position < text.length && isWhitespace(StringPrototypeCharCodeAt(text, position))) position++;
    let end = position;
    while (end < text.length && text[end] !== ';' && text[end] !== '=') end++;
    const name = StringPrototypeToLowerCase(StringPrototypeSlice(text, position, end));
    position = end;
    if (position >= text.length || text[position] === ';') continue;
    position++;
    let value = '';
    if (text[position] === '"') {
      // An HTTP quoted string: a backslash escapes the next character; the rest up to ';' is dropped.
      position++;
      while (position < text.length && text[position] !== '"') {
        if (text[position] === '\\' && position + 1 < text.length) position++;
        value += text[position];
        position++;
      }
      while (position < text.length && text[position] !== ';') position++;
    } else {
      let stop = StringPrototypeIndexOf(text, ';', position);
      if (stop === -1) stop = text.length;
      value = trim(StringPrototypeSlice(text, position, stop));
      position = stop;
      if (value === '') continue;
    }
    if (name !== '' && RegExpPrototypeExec(TOKEN, name) !== null && RegExpPrototypeExec(QUOTED_STRING_CODE_POINTS, value) !== null
      && !(name in parameters)) {
      parameters[name] = value;
    }
  }
  return { essence: `${StringPrototypeToLowerCase(type)}/${StringPrototypeToLowerCase(subtype)}`, parameters };
}
