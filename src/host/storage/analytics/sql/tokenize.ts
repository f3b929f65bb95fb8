// Splits an Analytics Engine SQL query into tokens. Comments and ';' are refused here: the query is
// one SELECT, and nothing in it may be hidden from the parser's view.
import { AnalyticsSqlError } from './sql-error.js';

export type Token =
  | { t: 'ident'; value: string; quoted: boolean; at: number }
  | { t: 'number'; value: number; integer: boolean; text: string; at: number }
  | { t: 'string'; value: string; at: number }
  | { t: 'punct'; value: string; at: number }
  | { t: 'end'; at: number };

/** Longest first, so `<=` is not read as `<` then `=`. */
const PUNCTUATION = ['<=', '>=', '!=', '<>', '==', '(', ')', ',', '*', '+', '-', '/', '%', '=', '<', '>', '.'];
const IDENT_START = /[A-Za-z_]/;
const IDENT_PART = /[A-Za-z0-9_]/;
const DIGIT = /[0-9]/;
/** Cloudflare's SQL API takes queries far shorter than this; a bound keeps parsing cheap. */
export const MAX_QUERY_LENGTH = 64 * 1024;

export function tokenize(sql: string): Token[] {
  if (sql.length > MAX_QUERY_LENGTH) throw new AnalyticsSqlError(`The query is longer than ${MAX_QUERY_LENGTH} characters.`);
  const tokens: Token[] = [];
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') { i++; continue; }
    if ((c === '-' && sql[i + 1] === '-') || (c === '/' && sql[i + 1] === '*') || c === '#') {
      throw new AnalyticsSqlError(`Comments are not supported (at position ${i}).`);
    }
    if (c === ';') throw new AnalyticsSqlError(`';' is not supported: a query is exactly one SELECT statement (at position ${i}).`);
    if (c === "'") { const [value, next] = quoted(sql, i, "'"); tokens.push({ t: 'string', value, at: i }); i = next; continue; }
    if (c === '"' || c === '`') { const [value, next] = quoted(sql, i, c); tokens.push({ t: 'ident', value, quoted: true, at: i }); i = next; continue; }
    if (DIGIT.test(c) || (c === '.' && DIGIT.test(sql[i + 1] ?? ''))) {
      const match = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/.exec(sql.slice(i))!;
      const text = match[0];
      if (IDENT_PART.test(sql[i + text.length] ?? '')) throw new AnalyticsSqlError(`Invalid number at position ${i}.`);
      tokens.push({ t: 'number', value: Number(text), integer: /^\d+$/.test(text), text, at: i });
      i += text.length;
      continue;
    }
    if (IDENT_START.test(c)) {
      let end = i + 1;
      while (end < sql.length && IDENT_PART.test(sql[end]!)) end++;
      tokens.push({ t: 'ident', value: sql.slice(i, end), quoted: false, at: i });
      i = end;
      continue;
    }
    const punct = PUNCTUATION.find((p) => sql.startsWith(p, i));
    if (punct === undefined) throw new AnalyticsSqlError(`Unexpected character ${JSON.stringify(c)} at position ${i}.`);
    tokens.push({ t: 'punct', value: punct, at: i });
    i += punct.length;
  }
  tokens.push({ t: 'end', at: sql.length });
  return tokens;
}

/** A quoted string or identifier: the quote doubled, or a backslash, escapes it. */
function quoted(sql: string, start: number, quote: string): [string, number] {
  let value = '';
  let i = start + 1;
  while (i < sql.length) {
    const c = sql[i]!;
    if (c === '\\' && i + 1 < sql.length) {
      const next = sql[i + 1]!;
      value += next === 'n' ? '\n' : next === 't' ? '\t' : next === '0' ? '\0' : next;
      i += 2;
      continue;
    }
    if (c === quote) {
      if (sql[i + 1] === quote) { value += quote; i += 2; continue; }
      return [value, i + 1];
    }
    value += c;
    i++;
  }
  throw new AnalyticsSqlError(`Unterminated ${quote === "'" ? 'string' : 'quoted identifier'} starting at position ${start}.`);
}
