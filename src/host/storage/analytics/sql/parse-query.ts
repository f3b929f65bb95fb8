// A recursive-descent parser for one SELECT of the Analytics Engine SQL dialect. It accepts only the
// shapes in ast.ts and names what it refuses, so a user learns which part of a query is unsupported.
import type { BinaryOp, Expr, IntervalUnit, OrderItem, OutputFormat, SelectItem, SelectStatement } from './ast.js';
import { AnalyticsSqlError } from './sql-error.js';
import { tokenize, type Token } from './tokenize.js';

/** Words that end an expression or a clause; never read as a column name or an implicit alias. */
const RESERVED = new Set([
  'SELECT', 'DISTINCT', 'FROM', 'WHERE', 'GROUP', 'BY', 'HAVING', 'ORDER', 'LIMIT', 'OFFSET', 'FORMAT', 'AS', 'ASC', 'DESC',
  'AND', 'OR', 'NOT', 'LIKE', 'IN', 'BETWEEN', 'INTERVAL', 'UNION', 'EXCEPT', 'INTERSECT', 'JOIN', 'INNER', 'LEFT', 'RIGHT',
  'FULL', 'CROSS', 'ON', 'USING', 'WITH', 'SETTINGS', 'INTO', 'ARRAY', 'FINAL', 'SAMPLE', 'PREWHERE', 'WINDOW', 'OVER',
]);
const FORMATS: Record<string, OutputFormat> = { json: 'JSON', jsoneachrow: 'JSONEachRow', tabseparated: 'TabSeparated', tsv: 'TabSeparated' };
const UNITS: Record<string, IntervalUnit> = {
  SECOND: 'SECOND', SECONDS: 'SECOND', MINUTE: 'MINUTE', MINUTES: 'MINUTE', HOUR: 'HOUR', HOURS: 'HOUR',
  DAY: 'DAY', DAYS: 'DAY', WEEK: 'WEEK', WEEKS: 'WEEK',
};
const COMPARISONS: Record<string, BinaryOp> = { '=': '=', '==': '=', '!=': '!=', '<>': '!=', '<': '<', '<=': '<=', '>': '>', '>=': '>=' };
/** Deep nesting is refused before it can exhaust the stack. */
const MAX_DEPTH = 64;

export function parseQuery(sql: string): SelectStatement {
  return new Parser(sql).statement();
}

class Parser {
  readonly #sql: string;
  readonly #tokens: Token[];
  #at = 0;
  #depth = 0;

  constructor(sql: string) {
    this.#sql = sql;
    this.#tokens = tokenize(sql);
  }

  statement(): SelectStatement {
    const first = this.#peek();
    if (first.t === 'end') throw new AnalyticsSqlError('The query is empty.');
    if (!this.#isWord('SELECT')) {
      const word = first.t === 'ident' ? first.value.toUpperCase() : this.#describe(first);
      throw new AnalyticsSqlError(`Only SELECT queries are supported; ${word} is not.`);
    }
    this.#next();
    const distinct = this.#acceptWord('DISTINCT');
    const columns = this.#list(() => this.#selectItem());
    this.#expectWord('FROM');
    const dataset = this.#source();
    const where = this.#acceptWord('WHERE') ? this.#expr() : null;
    let groupBy: Expr[] = [];
    if (this.#acceptWord('GROUP')) { this.#expectWord('BY'); groupBy = this.#list(() => this.#expr()); }
    const having = this.#acceptWord('HAVING') ? this.#expr() : null;
    let orderBy: OrderItem[] = [];
    if (this.#acceptWord('ORDER')) { this.#expectWord('BY'); orderBy = this.#list(() => this.#orderItem()); }
    let limit: number | null = null;
    let offset = 0;
    if (this.#acceptWord('LIMIT')) {
      limit = this.#count('LIMIT');
      if (this.#acceptPunct(',')) { offset = limit; limit = this.#count('LIMIT'); } else if (this.#acceptWord('OFFSET')) offset = this.#count('OFFSET');
    }
    let format: OutputFormat = 'JSON';
    if (this.#acceptWord('FORMAT')) {
      const name = this.#next();
      const known = name.t === 'ident' ? FORMATS[name.value.toLowerCase()] : undefined;
      if (known === undefined) throw new AnalyticsSqlError(`FORMAT ${this.#describe(name)} is not supported; use JSON, JSONEachRow or TabSeparated.`);
      format = known;
    }
    const rest = this.#peek();
    if (rest.t !== 'end') throw this.#unsupportedAt(rest);
    return { distinct, columns, dataset, where, groupBy, having, orderBy, limit, offset, format };
  }

  /** FROM names one dataset, nothing else: no subquery, no table function, no join, no database prefix. */
  #source(): string {
    const token = this.#next();
    if (token.t === 'punct' && token.value === '(') throw new AnalyticsSqlError('Subqueries are not supported.');
    if (token.t !== 'ident' || (!token.quoted && RESERVED.has(token.value.toUpperCase()))) {
      throw new AnalyticsSqlError(`Expected a dataset name after FROM, found ${this.#describe(token)}.`);
    }
    const after = this.#peek();
    if (after.t === 'punct' && after.value === '.') throw new AnalyticsSqlError('Qualified table names (database.table) are not supported; FROM names one dataset.');
    if (after.t === 'punct' && after.value === '(') throw new AnalyticsSqlError(`Table functions (${token.value}(...)) are not supported; FROM names one dataset.`);
    if (after.t === 'punct' && after.value === ',') throw new AnalyticsSqlError('Joins are not supported; FROM names one dataset.');
    if (after.t === 'ident' && !after.quoted && /^(JOIN|INNER|LEFT|RIGHT|FULL|CROSS)$/i.test(after.value)) throw new AnalyticsSqlError('Joins are not supported; FROM names one dataset.');
    if (after.t === 'ident' && (after.quoted || !RESERVED.has(after.value.toUpperCase()))) throw new AnalyticsSqlError('Table aliases are not supported.');
    if (after.t === 'ident' && !after.quoted && after.value.toUpperCase() === 'AS') throw new AnalyticsSqlError('Table aliases are not supported.');
    return token.value;
  }

  #selectItem(): SelectItem {
    const start = this.#peek().at;
    if (this.#acceptPunct('*')) return { expr: { k: 'star' }, alias: null, text: '*' };
    const expr = this.#expr();
    const text = this.#sql.slice(start, this.#peek().at).trim();
    let alias: string | null = null;
    if (this.#acceptWord('AS')) alias = this.#identifier('an alias after AS');
    else {
      const next = this.#peek();
      if (next.t === 'ident' && (next.quoted || !RESERVED.has(next.value.toUpperCase()))) alias = this.#identifier('an alias');
    }
    return { expr, alias, text };
  }

  #orderItem(): OrderItem {
    const expr = this.#expr();
    if (this.#acceptWord('DESC')) return { expr, descending: true };
    this.#acceptWord('ASC');
    return { expr, descending: false };
  }

  #count(clause: string): number {
    const token = this.#next();
    if (token.t !== 'number' || !token.integer || !Number.isSafeInteger(token.value)) {
      throw new AnalyticsSqlError(`${clause} takes a whole number, found ${this.#describe(token)}.`);
    }
    return token.value;
  }

  // --- expressions, lowest precedence first ---------------------------------------------------

  #expr(): Expr {
    if (++this.#depth > MAX_DEPTH) throw new AnalyticsSqlError(`The query nests expressions more than ${MAX_DEPTH} deep.`);
    try {
      return this.#or();
    } finally {
      this.#depth--;
    }
  }

  #or(): Expr {
    let left = this.#and();
    while (this.#acceptWord('OR')) left = { k: 'binary', op: 'OR', left, right: this.#and() };
    return left;
  }

  #and(): Expr {
    let left = this.#not();
    while (this.#acceptWord('AND')) left = { k: 'binary', op: 'AND', left, right: this.#not() };
    return left;
  }

  #not(): Expr {
    if (this.#acceptWord('NOT')) return { k: 'unary', op: 'NOT', arg: this.#not() };
    return this.#comparison();
  }

  #comparison(): Expr {
    const left = this.#additive();
    const token = this.#peek();
    if (token.t === 'punct' && COMPARISONS[token.value] !== undefined) {
      this.#next();
      return { k: 'binary', op: COMPARISONS[token.value]!, left, right: this.#additive() };
    }
    const negated = this.#isWord('NOT') && this.#isWordAt(1, 'LIKE', 'IN', 'BETWEEN');
    if (negated) this.#next();
    if (this.#acceptWord('LIKE')) return { k: 'binary', op: negated ? 'NOT LIKE' : 'LIKE', left, right: this.#additive() };
    if (this.#acceptWord('IN')) {
      this.#expectPunct('(');
      if (this.#isWord('SELECT')) throw new AnalyticsSqlError('Subqueries are not supported.');
      const list = this.#list(() => this.#expr());
      this.#expectPunct(')');
      return { k: 'in', arg: left, list, negated };
    }
    if (this.#acceptWord('BETWEEN')) {
      const low = this.#additive();
      this.#expectWord('AND');
      return { k: 'between', arg: left, low, high: this.#additive(), negated };
    }
    return left;
  }

  #additive(): Expr {
    let left = this.#multiplicative();
    for (;;) {
      const token = this.#peek();
      if (token.t !== 'punct' || (token.value !== '+' && token.value !== '-')) return left;
      this.#next();
      left = { k: 'binary', op: token.value, left, right: this.#multiplicative() };
    }
  }

  #multiplicative(): Expr {
    let left = this.#unary();
    for (;;) {
      const token = this.#peek();
      if (token.t !== 'punct' || (token.value !== '*' && token.value !== '/' && token.value !== '%')) return left;
      this.#next();
      left = { k: 'binary', op: token.value, left, right: this.#unary() };
    }
  }

  #unary(): Expr {
    if (this.#acceptPunct('-')) {
      if (++this.#depth > MAX_DEPTH) throw new AnalyticsSqlError(`The query nests expressions more than ${MAX_DEPTH} deep.`);
      try {
        return { k: 'unary', op: '-', arg: this.#unary() };
      } finally {
        this.#depth--;
      }
    }
    if (this.#acceptPunct('+')) return this.#unary();
    return this.#primary();
  }

  #primary(): Expr {
    const token = this.#next();
    if (token.t === 'number') return { k: 'number', value: token.value, integer: token.integer };
    if (token.t === 'string') return { k: 'string', value: token.value };
    if (token.t === 'punct' && token.value === '(') {
      if (this.#isWord('SELECT')) throw new AnalyticsSqlError('Subqueries are not supported.');
      const inner = this.#expr();
      this.#expectPunct(')');
      return inner;
    }
    if (token.t === 'ident' && !token.quoted && token.value.toUpperCase() === 'INTERVAL') {
      const amount = this.#unary();
      const unitToken = this.#next();
      const unit = unitToken.t === 'ident' ? UNITS[unitToken.value.toUpperCase()] : undefined;
      if (unit === undefined) throw new AnalyticsSqlError(`INTERVAL takes SECOND, MINUTE, HOUR, DAY or WEEK, found ${this.#describe(unitToken)}.`);
      return { k: 'interval', amount, unit };
    }
    if (token.t === 'ident') {
      if (!token.quoted && RESERVED.has(token.value.toUpperCase())) {
        const word = token.value.toUpperCase();
        if (word === 'UNION' || word === 'EXCEPT' || word === 'INTERSECT') throw new AnalyticsSqlError(`${word} is not supported.`);
        throw new AnalyticsSqlError(`Unexpected ${word} at position ${token.at}.`);
      }
      if (!token.quoted && this.#acceptPunct('(')) return this.#call(token.value);
      const after = this.#peek();
      if (after.t === 'punct' && after.value === '.') throw new AnalyticsSqlError('Qualified column names (table.column) are not supported.');
      return { k: 'column', name: token.value };
    }
    throw this.#unsupportedAt(token);
  }

  /** After `name(`. `count(*)` counts rows; a parametric call `f(p)(args)` is refused by name. */
  #call(name: string): Expr {
    const args: Expr[] = [];
    if (this.#acceptPunct('*')) {
      args.push({ k: 'star' });
    } else if (!this.#acceptPunct(')')) {
      if (this.#isWord('SELECT')) throw new AnalyticsSqlError('Subqueries are not supported.');
      if (this.#isWord('DISTINCT')) throw new AnalyticsSqlError(`${name}(DISTINCT ...) is not supported.`);
      args.push(...this.#list(() => this.#expr()));
      this.#expectPunct(')');
      return this.#endCall(name, args);
    }
    if (args.length === 1) this.#expectPunct(')');
    return this.#endCall(name, args);
  }

  #endCall(name: string, args: Expr[]): Expr {
    const after = this.#peek();
    if (after.t === 'punct' && after.value === '(') throw new AnalyticsSqlError(`Parametric calls (${name}(...)(...)) are not supported.`);
    if (after.t === 'ident' && !after.quoted && after.value.toUpperCase() === 'OVER') throw new AnalyticsSqlError('Window functions (OVER) are not supported.');
    return { k: 'call', name, args };
  }

  // --- tokens -----------------------------------------------------------------------------------

  #list<T>(item: () => T): T[] {
    const items = [item()];
    while (this.#acceptPunct(',')) items.push(item());
    return items;
  }

  #identifier(what: string): string {
    const token = this.#next();
    if (token.t !== 'ident' || (!token.quoted && RESERVED.has(token.value.toUpperCase()))) throw new AnalyticsSqlError(`Expected ${what}, found ${this.#describe(token)}.`);
    return token.value;
  }

  #peek(offset = 0): Token { return this.#tokens[Math.min(this.#at + offset, this.#tokens.length - 1)]!; }
  #next(): Token {
    const token = this.#peek();
    if (this.#at < this.#tokens.length - 1) this.#at++;
    return token;
  }
  #isWordAt(offset: number, ...words: string[]): boolean {
    const token = this.#peek(offset);
    return token.t === 'ident' && !token.quoted && words.includes(token.value.toUpperCase());
  }
  #isWord(word: string): boolean { return this.#isWordAt(0, word); }
  #acceptWord(word: string): boolean {
    if (!this.#isWord(word)) return false;
    this.#next();
    return true;
  }
  #expectWord(word: string): void {
    if (!this.#acceptWord(word)) throw new AnalyticsSqlError(`Expected ${word}, found ${this.#describe(this.#peek())}.`);
  }
  #acceptPunct(value: string): boolean {
    const token = this.#peek();
    if (token.t !== 'punct' || token.value !== value) return false;
    this.#next();
    return true;
  }
  #expectPunct(value: string): void {
    if (!this.#acceptPunct(value)) throw new AnalyticsSqlError(`Expected '${value}', found ${this.#describe(this.#peek())}.`);
  }

  #unsupportedAt(token: Token): AnalyticsSqlError {
    if (token.t === 'ident' && !token.quoted) {
      const word = token.value.toUpperCase();
      if (word === 'UNION' || word === 'EXCEPT' || word === 'INTERSECT') return new AnalyticsSqlError(`${word} is not supported.`);
      if (word === 'JOIN' || word === 'INNER' || word === 'LEFT' || word === 'RIGHT' || word === 'CROSS' || word === 'FULL') return new AnalyticsSqlError('Joins are not supported.');
      if (word === 'WITH' || word === 'SETTINGS' || word === 'INTO' || word === 'SAMPLE' || word === 'PREWHERE' || word === 'WINDOW') return new AnalyticsSqlError(`${word} is not supported.`);
    }
    return new AnalyticsSqlError(`Unexpected ${this.#describe(token)} at position ${token.at}.`);
  }

  #describe(token: Token): string {
    switch (token.t) {
      case 'end': return 'the end of the query';
      case 'ident': return token.quoted ? `"${token.value}"` : token.value;
      case 'number': return token.text;
      case 'string': return `'${token.value}'`;
      case 'punct': return `'${token.value}'`;
    }
  }
}
