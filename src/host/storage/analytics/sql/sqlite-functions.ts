// Functions the translated SQL calls that SQLite lacks or has with other semantics. Registered on the
// read-only connection only.
import type { DatabaseSync } from 'node:sqlite';
import { FN } from './to-sqlite.js';

/** ClickHouse LIKE: `%` any run, `_` one character, `\` escapes; case-sensitive (SQLite's LIKE is not). */
function likePattern(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\' && i + 1 < pattern.length) { source += escapeRegExp(pattern[++i]!); continue; }
    source += c === '%' ? '[\\s\\S]*' : c === '_' ? '[\\s\\S]' : escapeRegExp(c);
  }
  return new RegExp(`^${source}$`, 'u');
}

function escapeRegExp(c: string): string {
  // Outside a character class these are all that is special; escaping more is an error under the `u` flag.
  return /[\\^$.*+?()[\]{}|]/.test(c) ? `\\${c}` : c;
}

interface WeightedValues { values: number[]; weights: number[]; level: number }

/** `check` throws once the query is past its deadline; it runs for every row the scan reads. */
export function registerSqlFunctions(db: DatabaseSync, check: () => void): void {
  db.function(FN.deadline, { deterministic: false, directOnly: true }, () => {
    check();
    return 1;
  });
  let lastPattern = '';
  let lastRegExp = /^$/u;
  db.function(FN.like, { deterministic: true, directOnly: true }, (value, pattern) => {
    if (value === null || pattern === null) return null;
    const text = String(pattern);
    if (text !== lastPattern) { lastRegExp = likePattern(text); lastPattern = text; }
    return lastRegExp.test(String(value)) ? 1 : 0;
  });
  // As ClickHouse's quantileExactWeighted: the smallest value whose cumulative weight reaches level x total.
  // SQLite's accumulator must be an SQL value, so it is a key into `states`.
  const states = new Map<number, WeightedValues>();
  let nextState = 0;
  db.aggregate(FN.quantileWeighted, {
    directOnly: true,
    start: () => {
      const key = ++nextState;
      states.set(key, { values: [], weights: [], level: 0 });
      return key;
    },
    step: (key, level, value, weight) => {
      const acc = states.get(Number(key));
      if (acc === undefined) return key;
      acc.level = Number(level);
      if (typeof value === 'number' && Number.isFinite(value) && typeof weight === 'number' && weight > 0) {
        acc.values.push(value);
        acc.weights.push(weight);
      }
      return key;
    },
    result: (key) => {
      const state = states.get(Number(key));
      states.delete(Number(key));
      if (state === undefined || state.values.length === 0) return null;
      const order = state.values.map((_, i) => i).sort((a, b) => state.values[a]! - state.values[b]!);
      const total = state.weights.reduce((sum, w) => sum + w, 0);
      const threshold = state.level * total;
      let running = 0;
      for (const i of order) {
        running += state.weights[i]!;
        if (running >= threshold) return state.values[i]!;
      }
      return state.values[order[order.length - 1]!]!;
    },
  });
}
