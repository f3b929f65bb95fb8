// sql.exec() takes several statements separated by semicolons. SQLite itself says where the first
// statement of a text ends (the statement's own text is everything up to its tail), so the text is
// split by the parser that will run it rather than by a hand-written one that could disagree with
// it about quotes, comments or CREATE TRIGGER bodies. Each statement is compiled only once the one
// before it has run: a CREATE TABLE followed by an INSERT into that table must work.
import type { StatementSync } from 'node:sqlite';

/** Whether `text` holds no statement: only whitespace, semicolons and comments. */
export function isBlank(text: string): boolean {
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === ';' || /\s/.test(c)) { i++; continue; }
    if (text.startsWith('--', i)) {
      const end = text.indexOf('\n', i);
      if (end === -1) return true;
      i = end + 1;
      continue;
    }
    if (text.startsWith('/*', i)) {
      const end = text.indexOf('*/', i + 2);
      // SQLite accepts a comment left open at the end of the text.
      if (end === -1) return true;
      i = end + 2;
      continue;
    }
    return false;
  }
  return true;
}

/** Compiles and runs each statement of `query` in order; `last` tells the final one. Returns the count. */
export function eachStatement(query: string, compile: (text: string) => StatementSync, run: (statement: StatementSync, last: boolean) => void): number {
  let rest = query;
  let count = 0;
  while (!isBlank(rest)) {
    const statement = compile(rest);
    count++;
    const consumed = statement.sourceSQL.length;
    const tail = consumed > 0 && consumed < rest.length ? rest.slice(consumed) : '';
    const last = isBlank(tail);
    run(statement, last);
    if (last) break;
    rest = tail;
  }
  return count;
}
