// JSON text of the request line's values, written as JSON.stringify writes them but cheaper for what a
// request line holds: short strings that almost never need escaping, and millisecond figures rounded
// to thousandths. Per request these took most of the line's cost.

/** A string as JSON: quoted as it is when nothing in it needs escaping, else JSON.stringify's text. */
export function jsonString(value: string): string {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    // Control characters, quote and backslash are escaped; lone surrogates too (well-formed stringify).
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) return JSON.stringify(value);
  }
  return `"${value}"`;
}

/**
 * `JSON.stringify(Math.round(value * 1000) / 1000)`: thousandths are formatted from the integer count
 * of them, since number-to-text of a fraction is the slow case. Below 1e12 thousandths, n / 1000 is the
 * double nearest that decimal, whose shortest text is the decimal itself, so the two always agree.
 */
export function jsonMs(value: number): string {
  const n = Math.round(value * 1000);
  if (!(n >= 0 && n < 1e12)) return JSON.stringify(n / 1000);
  const whole = Math.floor(n / 1000);
  const frac = n - whole * 1000;
  if (frac === 0) return String(whole);
  if (frac % 100 === 0) return `${whole}.${frac / 100}`;
  if (frac % 10 === 0) return `${whole}.${frac < 100 ? '0' : ''}${frac / 10}`;
  return `${whole}.${frac < 10 ? '00' : frac < 100 ? '0' : ''}${frac}`;
}
