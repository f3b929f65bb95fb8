// Translates a parsed query into SQLite SQL over the points table. The SQL is written here from the
// tree, never copied from the query: column names come from a fixed list, every literal is a bound
// parameter, and the tenant and dataset filter is always the first condition. So a query can name no
// other table, see no other tenant's rows and change nothing, whatever text it was parsed from.
import { INTERVAL_SECONDS, type Expr, type SelectStatement } from './ast.js';
import { AnalyticsSqlError } from './sql-error.js';

/** Result column types as ClickHouse (and so Cloudflare's SQL API) names them in `meta`. */
export type SqlType = 'DateTime' | 'String' | 'Float64' | 'Int64' | 'UInt64' | 'UInt32' | 'UInt8';

export const BLOB_COLUMNS = Array.from({ length: 20 }, (_, i) => `blob${i + 1}`);
export const DOUBLE_COLUMNS = Array.from({ length: 20 }, (_, i) => `double${i + 1}`);
/** The columns a dataset shows, in Cloudflare's order; `SELECT *` returns these. */
export const VISIBLE_COLUMNS: readonly [string, SqlType][] = [
  ['timestamp', 'DateTime'], ['index1', 'String'],
  ...BLOB_COLUMNS.map((name): [string, SqlType] => [name, 'String']),
  ...DOUBLE_COLUMNS.map((name): [string, SqlType] => [name, 'Float64']),
  ['_sample_interval', 'UInt32'],
];
const COLUMN_TYPES = new Map(VISIBLE_COLUMNS);

/** SQL functions the reader connection registers (sqlite-analytics-reader.ts). */
export const FN = { deadline: 'islet_deadline', like: 'islet_like', quantileWeighted: 'islet_quantile_weighted' } as const;

export interface TranslatedQuery {
  sql: string;
  /** Positional parameters: tenant and dataset first, then the query's literals in order. */
  params: (string | number | bigint)[];
  meta: { name: string; type: SqlType }[];
}

interface Typed { sql: string; type: SqlType | 'Interval'; aggregate: boolean; intervalSeconds?: number; param?: number }

const NUMERIC = new Set<string>(['Float64', 'Int64', 'UInt64', 'UInt32', 'UInt8', 'DateTime']);
const INTEGER = new Set<string>(['Int64', 'UInt64', 'UInt32', 'UInt8', 'DateTime']);
const AGGREGATES = new Set(['count', 'sum', 'avg', 'min', 'max', 'countif', 'sumif', 'avgif', 'quantileweighted']);

/** `YYYY-MM-DD hh:mm:ss` (or ISO 8601) in UTC -> Unix seconds; null when it is not a date. */
export function parseDateTime(text: string): number | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?(?:Z)?$/.exec(text.trim());
  if (match === null) return null;
  const [, y, mo, d, h = '0', mi = '0', s = '0'] = match;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : null;
}

export function translate(query: SelectStatement, scope: { tenant: string; dataset: string }, nowSeconds: number): TranslatedQuery {
  return new Translator(query, scope, nowSeconds).run();
}

class Translator {
  readonly #query: SelectStatement;
  readonly #params: (string | number | bigint)[];
  readonly #now: number;
  /** Select aliases translated so far; later clauses (and later select items) may use them. */
  readonly #aliases = new Map<string, Typed>();

  constructor(query: SelectStatement, scope: { tenant: string; dataset: string }, now: number) {
    this.#query = query;
    this.#params = [scope.tenant, scope.dataset];
    this.#now = now;
  }

  run(): TranslatedQuery {
    const q = this.#query;
    const columns: string[] = [];
    const meta: TranslatedQuery['meta'] = [];
    for (const item of q.columns) {
      if (item.expr.k === 'star') {
        if (item.alias !== null) throw new AnalyticsSqlError('* cannot have an alias.');
        for (const [name, type] of VISIBLE_COLUMNS) { columns.push(`"${name}"`); meta.push({ name, type }); }
        continue;
      }
      const typed = this.#value(this.#expr(item.expr, 'select'), 'SELECT');
      const name = item.alias ?? item.text;
      columns.push(typed.sql);
      meta.push({ name, type: typed.type as SqlType });
      if (item.alias !== null) this.#aliases.set(item.alias, typed);
    }
    let sql = `SELECT ${q.distinct ? 'DISTINCT ' : ''}${columns.join(', ')} FROM analytics_points WHERE tenant = ?1 AND dataset = ?2 AND ${FN.deadline}()`;
    if (q.where !== null) sql += ` AND (${this.#condition(q.where, 'WHERE')})`;
    if (q.groupBy.length > 0) sql += ` GROUP BY ${q.groupBy.map((e) => this.#value(this.#expr(e, 'group'), 'GROUP BY').sql).join(', ')}`;
    if (q.having !== null) sql += ` HAVING ${this.#condition(q.having, 'HAVING', true)}`;
    if (q.orderBy.length > 0) {
      sql += ` ORDER BY ${q.orderBy.map((o) => `${this.#value(this.#expr(o.expr, 'order'), 'ORDER BY').sql}${o.descending ? ' DESC' : ' ASC'}`).join(', ')}`;
    }
    return { sql, params: this.#params, meta };
  }

  #condition(expr: Expr, clause: string, allowAggregates = false): string {
    const typed = this.#value(this.#expr(expr, clause === 'WHERE' ? 'where' : 'having'), clause);
    if (typed.aggregate && !allowAggregates) throw new AnalyticsSqlError(`Aggregate functions are not allowed in ${clause}; use HAVING.`);
    return typed.sql;
  }

  /** An expression that yields a value (not a bare INTERVAL). */
  #value(typed: Typed, clause: string): Typed {
    if (typed.type === 'Interval') throw new AnalyticsSqlError(`An INTERVAL can only be added to or subtracted from a DateTime, or passed to toStartOfInterval (in ${clause}).`);
    return typed;
  }

  /** Numbered, so a clause translated early (an alias) can be reused anywhere in the SQL. */
  #bind(value: string | number | bigint): string {
    this.#params.push(value);
    return `?${this.#params.length}`;
  }

  #expr(e: Expr, where: 'select' | 'where' | 'group' | 'having' | 'order', insideAggregate = false): Typed {
    const sub = (x: Expr) => this.#expr(x, where, insideAggregate);
    switch (e.k) {
      case 'star': throw new AnalyticsSqlError('* is only allowed alone in SELECT or in count(*).');
      case 'column': {
        const alias = this.#aliases.get(e.name);
        if (alias !== undefined) return alias;
        const type = COLUMN_TYPES.get(e.name);
        if (type === undefined) {
          if (e.name === 'tenant' || e.name === 'dataset') throw new AnalyticsSqlError(`Unknown column ${e.name}: a query sees only its own dataset's columns.`);
          throw new AnalyticsSqlError(`Unknown column ${e.name}. Columns are timestamp, index1, blob1 to blob20, double1 to double20 and _sample_interval.`);
        }
        return { sql: `"${e.name}"`, type, aggregate: false };
      }
      case 'number':
        if (e.integer) {
          const text = String(e.value);
          return { sql: this.#bind(Number.isSafeInteger(e.value) ? e.value : BigInt(text)), type: e.value >= 0 ? 'UInt64' : 'Int64', aggregate: false };
        }
        return { sql: this.#bind(e.value), type: 'Float64', aggregate: false };
      case 'string': return { sql: this.#bind(e.value), type: 'String', aggregate: false, param: this.#params.length - 1 };
      case 'interval': {
        const amount = this.#constant(e.amount);
        if (!Number.isFinite(amount)) throw new AnalyticsSqlError('An INTERVAL amount must be a number.');
        return { sql: '', type: 'Interval', aggregate: false, intervalSeconds: amount * INTERVAL_SECONDS[e.unit] };
      }
      case 'unary': {
        const arg = this.#value(sub(e.arg), 'an expression');
        if (e.op === 'NOT') return { sql: `(NOT ${arg.sql})`, type: 'UInt8', aggregate: arg.aggregate };
        this.#numeric(arg, 'unary -');
        return { sql: `(-${arg.sql})`, type: arg.type === 'Float64' ? 'Float64' : 'Int64', aggregate: arg.aggregate };
      }
      case 'in': {
        const arg = this.#value(sub(e.arg), 'IN');
        const list = e.list.map((x) => this.#coerced(this.#value(sub(x), 'IN'), arg, x));
        return { sql: `(${arg.sql} ${e.negated ? 'NOT IN' : 'IN'} (${list.map((x) => x.sql).join(', ')}))`, type: 'UInt8', aggregate: arg.aggregate || list.some((x) => x.aggregate) };
      }
      case 'between': {
        const arg = this.#value(sub(e.arg), 'BETWEEN');
        const low = this.#coerced(this.#value(sub(e.low), 'BETWEEN'), arg, e.low);
        const high = this.#coerced(this.#value(sub(e.high), 'BETWEEN'), arg, e.high);
        return { sql: `(${arg.sql} ${e.negated ? 'NOT BETWEEN' : 'BETWEEN'} ${low.sql} AND ${high.sql})`, type: 'UInt8', aggregate: arg.aggregate || low.aggregate || high.aggregate };
      }
      case 'binary': return this.#binary(e.op, sub(e.left), sub(e.right), e);
      case 'call': return this.#call(e.name, e.args, where, insideAggregate);
    }
  }

  #binary(op: string, left: Typed, right: Typed, e: Expr & { k: 'binary' }): Typed {
    const aggregate = left.aggregate || right.aggregate;
    if (op === '+' || op === '-') {
      if (left.type === 'DateTime' && right.type === 'Interval') return { sql: `(${left.sql} ${op} ${right.intervalSeconds!})`, type: 'DateTime', aggregate };
      if (op === '+' && left.type === 'Interval' && right.type === 'DateTime') return { sql: `(${right.sql} + ${left.intervalSeconds!})`, type: 'DateTime', aggregate };
    }
    this.#value(left, op);
    this.#value(right, op);
    switch (op) {
      case 'AND': case 'OR': return { sql: `(${left.sql} ${op} ${right.sql})`, type: 'UInt8', aggregate };
      case 'LIKE': case 'NOT LIKE':
        return { sql: `(${op === 'NOT LIKE' ? 'NOT ' : ''}${FN.like}(${left.sql}, ${right.sql}))`, type: 'UInt8', aggregate };
      case '=': case '!=': case '<': case '<=': case '>': case '>=': {
        const r = this.#coerced(right, left, e.right);
        const l = this.#coerced(left, right, e.left);
        return { sql: `(${l.sql} ${op} ${r.sql})`, type: 'UInt8', aggregate };
      }
      case '/':
        this.#numeric(left, '/'); this.#numeric(right, '/');
        return { sql: `(CAST(${left.sql} AS REAL) / ${right.sql})`, type: 'Float64', aggregate };
      default: {
        this.#numeric(left, op); this.#numeric(right, op);
        const float = left.type === 'Float64' || right.type === 'Float64';
        return { sql: `(${left.sql} ${op} ${right.sql})`, type: float ? 'Float64' : 'Int64', aggregate };
      }
    }
  }

  /** A string literal compared with a DateTime is read as a date, as ClickHouse does. */
  #coerced(value: Typed, other: Typed, source: Expr): Typed {
    if (other.type === 'DateTime' && value.type === 'String' && source.k === 'string') {
      const seconds = parseDateTime(source.value);
      if (seconds === null) throw new AnalyticsSqlError(`Cannot read '${source.value}' as a DateTime (expected YYYY-MM-DD hh:mm:ss).`);
      if (value.param !== undefined) this.#params[value.param] = seconds;
      return { sql: value.sql, type: 'DateTime', aggregate: false };
    }
    return value;
  }

  #numeric(value: Typed, what: string): void {
    if (!NUMERIC.has(value.type)) throw new AnalyticsSqlError(`${what} needs numbers, not ${value.type}.`);
  }

  /** A number known while translating (an INTERVAL amount, a quantile level). */
  #constant(e: Expr): number {
    if (e.k === 'number') return e.value;
    if (e.k === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(e.value)) return Number(e.value);
    if (e.k === 'unary' && e.op === '-') return -this.#constant(e.arg);
    throw new AnalyticsSqlError('Expected a constant number here (an INTERVAL amount or a quantile level).');
  }

  #call(rawName: string, args: Expr[], where: 'select' | 'where' | 'group' | 'having' | 'order', insideAggregate: boolean): Typed {
    const name = rawName.toLowerCase();
    const arity = (...counts: number[]) => {
      if (!counts.includes(args.length)) throw new AnalyticsSqlError(`${rawName}() takes ${counts.join(' or ')} argument${counts.length === 1 && counts[0] === 1 ? '' : 's'}, not ${args.length}.`);
    };
    if (AGGREGATES.has(name)) {
      if (insideAggregate) throw new AnalyticsSqlError(`Aggregate function ${rawName}() cannot be nested inside another aggregate.`);
      if (where === 'where' || where === 'group') throw new AnalyticsSqlError(`Aggregate function ${rawName}() is not allowed in ${where === 'where' ? 'WHERE' : 'GROUP BY'}.`);
      const inner = (x: Expr) => this.#value(this.#expr(x, where, true), `${rawName}()`);
      switch (name) {
        case 'count':
          if (args.length === 0 || (args.length === 1 && args[0]!.k === 'star')) return { sql: 'COUNT(*)', type: 'UInt64', aggregate: true };
          arity(0, 1);
          return { sql: `COUNT(${inner(args[0]!).sql})`, type: 'UInt64', aggregate: true };
        case 'countif': arity(1); return { sql: `COUNT(CASE WHEN ${inner(args[0]!).sql} THEN 1 END)`, type: 'UInt64', aggregate: true };
        case 'sum': case 'sumif': {
          arity(name === 'sum' ? 1 : 2);
          const value = inner(args[0]!);
          this.#numeric(value, `${rawName}()`);
          const arg = name === 'sum' ? value.sql : `CASE WHEN ${inner(args[1]!).sql} THEN ${value.sql} END`;
          // ClickHouse's sum of no rows is 0, SQLite's SUM is NULL: TOTAL and COALESCE give the 0.
          return value.type === 'Float64' ? { sql: `TOTAL(${arg})`, type: 'Float64', aggregate: true }
            : { sql: `COALESCE(SUM(${arg}), 0)`, type: 'Int64', aggregate: true };
        }
        case 'avg': case 'avgif': {
          arity(name === 'avg' ? 1 : 2);
          const value = inner(args[0]!);
          this.#numeric(value, `${rawName}()`);
          const arg = name === 'avg' ? value.sql : `CASE WHEN ${inner(args[1]!).sql} THEN ${value.sql} END`;
          return { sql: `AVG(${arg})`, type: 'Float64', aggregate: true };
        }
        case 'min': case 'max': {
          arity(1);
          const value = inner(args[0]!);
          return { sql: `${name.toUpperCase()}(${value.sql})`, type: value.type, aggregate: true };
        }
        default: {
          // quantileWeighted(level, column, weight), as Cloudflare's SQL reference writes it.
          arity(3);
          const level = this.#constant(args[0]!);
          if (!(level >= 0 && level <= 1)) throw new AnalyticsSqlError('quantileWeighted() takes a level from 0 to 1.');
          const value = inner(args[1]!);
          const weight = inner(args[2]!);
          this.#numeric(value, 'quantileWeighted()'); this.#numeric(weight, 'quantileWeighted()');
          return { sql: `${FN.quantileWeighted}(${this.#bind(level)}, ${value.sql}, ${weight.sql})`, type: value.type === 'DateTime' ? 'DateTime' : 'Float64', aggregate: true };
        }
      }
    }
    const arg = (i: number) => this.#value(this.#expr(args[i]!, where, insideAggregate), `${rawName}()`);
    const all = (...typed: Typed[]) => typed.some((t) => t.aggregate);
    switch (name) {
      case 'now': arity(0); return { sql: this.#bind(this.#now), type: 'DateTime', aggregate: false };
      case 'todatetime': {
        arity(1);
        const value = arg(0);
        if (value.type === 'DateTime') return value;
        if (value.type === 'String') return { sql: `unixepoch(${value.sql})`, type: 'DateTime', aggregate: value.aggregate };
        this.#numeric(value, rawName);
        return { sql: `CAST(${value.sql} AS INTEGER)`, type: 'DateTime', aggregate: value.aggregate };
      }
      case 'tounixtimestamp': case 'touint32': case 'toint64': case 'touint64': {
        arity(1);
        const value = arg(0);
        const type: SqlType = name === 'toint64' ? 'Int64' : name === 'touint64' ? 'UInt64' : 'UInt32';
        if (value.type === 'String') return { sql: name === 'tounixtimestamp' ? `unixepoch(${value.sql})` : `CAST(${value.sql} AS INTEGER)`, type, aggregate: value.aggregate };
        this.#numeric(value, rawName);
        return { sql: `CAST(${value.sql} AS INTEGER)`, type, aggregate: value.aggregate };
      }
      case 'tofloat64': {
        arity(1);
        const value = arg(0);
        return { sql: `CAST(${value.sql} AS REAL)`, type: 'Float64', aggregate: value.aggregate };
      }
      case 'tostring': {
        arity(1);
        const value = arg(0);
        if (value.type === 'DateTime') return { sql: `strftime('%Y-%m-%d %H:%M:%S', ${value.sql}, 'unixepoch')`, type: 'String', aggregate: value.aggregate };
        return { sql: `CAST(${value.sql} AS TEXT)`, type: 'String', aggregate: value.aggregate };
      }
      case 'tostartofinterval': {
        arity(2);
        const time = arg(0);
        const interval = this.#expr(args[1]!, where, insideAggregate);
        if (interval.type !== 'Interval' || args[1]!.k !== 'interval') throw new AnalyticsSqlError('toStartOfInterval() takes a DateTime and an INTERVAL.');
        if (args[1].unit === 'WEEK') throw new AnalyticsSqlError('toStartOfInterval() with WEEK is not supported; use DAY.');
        return this.#floorTo(time, interval.intervalSeconds!, rawName);
      }
      case 'tostartofminute': arity(1); return this.#floorTo(arg(0), 60, rawName);
      case 'tostartoffiveminutes': case 'tostartoffiveminute': arity(1); return this.#floorTo(arg(0), 300, rawName);
      case 'tostartoffifteenminutes': arity(1); return this.#floorTo(arg(0), 900, rawName);
      case 'tostartofhour': arity(1); return this.#floorTo(arg(0), 3_600, rawName);
      case 'tostartofday': arity(1); return this.#floorTo(arg(0), 86_400, rawName);
      case 'intdiv': {
        arity(2);
        const a = arg(0); const b = arg(1);
        this.#numeric(a, rawName); this.#numeric(b, rawName);
        return { sql: `CAST(${a.sql} / ${b.sql} AS INTEGER)`, type: 'Int64', aggregate: all(a, b) };
      }
      case 'if': {
        arity(3);
        const c = arg(0); const a = arg(1); const b = arg(2);
        return { sql: `(CASE WHEN ${c.sql} THEN ${a.sql} ELSE ${b.sql} END)`, type: a.type === b.type ? a.type : (INTEGER.has(a.type) && INTEGER.has(b.type) ? 'Int64' : a.type === 'String' || b.type === 'String' ? 'String' : 'Float64') as SqlType, aggregate: all(c, a, b) };
      }
      case 'round': {
        arity(1, 2);
        const value = arg(0);
        this.#numeric(value, rawName);
        const digits = args.length === 2 ? this.#constant(args[1]!) : 0;
        if (!Number.isInteger(digits) || digits < 0 || digits > 15) throw new AnalyticsSqlError('round() takes 0 to 15 digits.');
        return { sql: `ROUND(${value.sql}, ${digits})`, type: 'Float64', aggregate: value.aggregate };
      }
      case 'abs': {
        arity(1);
        const value = arg(0);
        this.#numeric(value, rawName);
        return { sql: `ABS(${value.sql})`, type: value.type === 'Float64' ? 'Float64' : 'Int64', aggregate: value.aggregate };
      }
      case 'lower': case 'upper': {
        arity(1);
        const value = arg(0);
        return { sql: `${name.toUpperCase()}(${value.sql})`, type: 'String', aggregate: value.aggregate };
      }
      case 'length': {
        arity(1);
        const value = arg(0);
        // ClickHouse counts bytes.
        return { sql: `LENGTH(CAST(${value.sql} AS BLOB))`, type: 'UInt64', aggregate: value.aggregate };
      }
      case 'concat': {
        if (args.length < 2) throw new AnalyticsSqlError('concat() takes at least 2 arguments.');
        const parts = args.map((_, i) => arg(i));
        return { sql: `(${parts.map((p) => `CAST(${p.sql} AS TEXT)`).join(' || ')})`, type: 'String', aggregate: all(...parts) };
      }
      default:
        throw new AnalyticsSqlError(`Function ${rawName}() is not supported.`);
    }
  }

  #floorTo(time: Typed, seconds: number, name: string): Typed {
    if (time.type !== 'DateTime') throw new AnalyticsSqlError(`${name}() takes a DateTime (such as timestamp), not ${time.type}.`);
    if (!Number.isInteger(seconds) || seconds <= 0) throw new AnalyticsSqlError(`${name}() needs a whole, positive number of seconds.`);
    return { sql: `((${time.sql} / ${seconds}) * ${seconds})`, type: 'DateTime', aggregate: time.aggregate };
  }
}
