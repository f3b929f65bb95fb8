// The subset of Cloudflare's Analytics Engine SQL dialect that Islet accepts, as a tree. The parser
// builds only these shapes, so anything outside them (joins, subqueries, other statements) has no way
// to be represented and is refused while parsing.
// @see https://developers.cloudflare.com/analytics/analytics-engine/sql-reference/

export type Expr =
  | { k: 'column'; name: string }
  | { k: 'star' }
  | { k: 'number'; value: number; integer: boolean }
  | { k: 'string'; value: string }
  | { k: 'interval'; amount: Expr; unit: IntervalUnit }
  | { k: 'unary'; op: '-' | 'NOT'; arg: Expr }
  | { k: 'binary'; op: BinaryOp; left: Expr; right: Expr }
  | { k: 'in'; arg: Expr; list: Expr[]; negated: boolean }
  | { k: 'between'; arg: Expr; low: Expr; high: Expr; negated: boolean }
  | { k: 'call'; name: string; args: Expr[] };

export type BinaryOp = '+' | '-' | '*' | '/' | '%' | '=' | '!=' | '<' | '<=' | '>' | '>=' | 'AND' | 'OR' | 'LIKE' | 'NOT LIKE';

export type IntervalUnit = 'SECOND' | 'MINUTE' | 'HOUR' | 'DAY' | 'WEEK';

export const INTERVAL_SECONDS: Record<IntervalUnit, number> = { SECOND: 1, MINUTE: 60, HOUR: 3_600, DAY: 86_400, WEEK: 604_800 };

export interface SelectItem { expr: Expr; alias: string | null; text: string }
export interface OrderItem { expr: Expr; descending: boolean }

export type OutputFormat = 'JSON' | 'JSONEachRow' | 'TabSeparated';

export interface SelectStatement {
  distinct: boolean;
  columns: SelectItem[];
  /** The dataset named in FROM: bound as a parameter, never spliced into SQL. */
  dataset: string;
  where: Expr | null;
  groupBy: Expr[];
  having: Expr | null;
  orderBy: OrderItem[];
  limit: number | null;
  offset: number;
  format: OutputFormat;
}
