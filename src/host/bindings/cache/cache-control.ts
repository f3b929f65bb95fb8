// Parsing the header fields that decide caching: Cache-Control directives, delta-seconds and
// HTTP-dates. Pure functions over strings, so every rule is unit-tested against the RFCs' examples.

/** A response's header fields as the cache keeps them: lowercase names, in order, repeats kept. */
export type HeaderList = [name: string, value: string][];

/** Directive name (lowercased) -> its argument with quotes removed, or null when it has none. */
export type Directives = Map<string, string | null>;

/**
 * @see https://www.rfc-editor.org/rfc/rfc9111#section-5.2 (Cache-Control = #cache-directive,
 * cache-directive = token [ "=" ( token / quoted-string ) ]). Several field lines are one list. When a
 * directive repeats, the first occurrence counts (RFC 9111 section 4.2.1 allows either that or treating
 * the response as stale).
 */
export function parseCacheControl(values: readonly string[]): Directives {
  const directives: Directives = new Map();
  for (const value of values) {
    let i = 0;
    while (i < value.length) {
      while (i < value.length && (value[i] === ',' || value[i] === ' ' || value[i] === '\t')) i++;
      let nameEnd = i;
      while (nameEnd < value.length && !'=,'.includes(value[nameEnd]!)) nameEnd++;
      const name = value.slice(i, nameEnd).trim().toLowerCase();
      i = nameEnd;
      let argument: string | null = null;
      if (value[i] === '=') {
        i++;
        while (value[i] === ' ' || value[i] === '\t') i++;
        if (value[i] === '"') {
          // quoted-string: a backslash escapes the next character.
          let text = '';
          i++;
          while (i < value.length && value[i] !== '"') {
            if (value[i] === '\\' && i + 1 < value.length) i++;
            text += value[i];
            i++;
          }
          i++;
          argument = text;
          while (i < value.length && value[i] !== ',') i++;
        } else {
          const end = value.indexOf(',', i);
          argument = value.slice(i, end === -1 ? value.length : end).trim();
          i = end === -1 ? value.length : end;
        }
      }
      if (name !== '' && !directives.has(name)) directives.set(name, argument);
    }
  }
  return directives;
}

/**
 * @see https://www.rfc-editor.org/rfc/rfc9111#section-1.2.2: delta-seconds is 1*DIGIT; a value too
 * large to represent is 2147483648 (2^31). Anything else is not a valid value: null.
 */
export function deltaSeconds(text: string | null | undefined): number | null {
  if (text === null || text === undefined || !/^[0-9]+$/.test(text)) return null;
  const value = Number(text);
  return value > 2 ** 31 ? 2 ** 31 : value;
}

const IMF_FIXDATE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;
const RFC850_DATE = /^(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), \d{2}-(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)-\d{2} \d{2}:\d{2}:\d{2} GMT$/;
const ASCTIME_DATE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ \d]\d \d{2}:\d{2}:\d{2} \d{4}$/;

/**
 * An HTTP-date in milliseconds, or null when the text is none of the three formats a recipient must
 * accept. @see https://www.rfc-editor.org/rfc/rfc9110#section-5.6.7
 */
export function httpDate(text: string | null | undefined): number | null {
  if (text === null || text === undefined) return null;
  const value = text.trim();
  let parsed: number;
  if (IMF_FIXDATE.test(value)) parsed = Date.parse(value);
  else if (RFC850_DATE.test(value)) {
    // A two-digit year that appears to be more than 50 years in the future is in the past (RFC 9110).
    const [, rest] = value.split(', ') as [string, string];
    const [day, month, yy] = rest.slice(0, 9).split('-') as [string, string, string];
    let year = 2000 + Number(yy);
    if (year > new Date().getUTCFullYear() + 50) year -= 100;
    parsed = Date.parse(`${day} ${month} ${year} ${rest.slice(10, 18)} GMT`);
  } else if (ASCTIME_DATE.test(value)) parsed = Date.parse(`${value.slice(4, 10)} ${value.slice(20)} ${value.slice(11, 19)} GMT`);
  else return null;
  return Number.isNaN(parsed) ? null : parsed;
}

/** Every value of a field, in order (a field repeated over several lines gives several values). */
export function fieldValues(headers: HeaderList, name: string): string[] {
  const values: string[] = [];
  for (const [n, v] of headers) if (n === name) values.push(v);
  return values;
}

/** The field's value, or null; a field given more than once is its lines joined by ", ". */
export function fieldValue(headers: HeaderList, name: string): string | null {
  const values = fieldValues(headers, name);
  return values.length === 0 ? null : values.join(', ');
}

/** A directive's argument as a list of lowercased field names (`private="set-cookie, x-a"`). */
export function fieldNameList(argument: string): string[] {
  return argument.split(',').map((name) => name.trim().toLowerCase()).filter((name) => name !== '');
}
