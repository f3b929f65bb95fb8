// Query results in the formats Cloudflare's SQL API answers with (ClickHouse's output formats):
// JSON (the default), JSONEachRow and TabSeparated. As ClickHouse does by default, 64-bit integers are
// quoted in JSON, so clients without 64-bit numbers do not round them.
import type { AnalyticsQueryResult } from '../analytics-store.js';
import type { OutputFormat } from './ast.js';
import type { SqlType } from './to-sqlite.js';

function dateTime(seconds: number): string {
  return new Date(seconds * 1000).toISOString().slice(0, 19).replace('T', ' ');
}

/** One value as JSON sees it. */
function jsonValue(value: unknown, type: SqlType): unknown {
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'DateTime': return typeof value === 'number' || typeof value === 'bigint' ? dateTime(Number(value)) : String(value);
    case 'String': return typeof value === 'string' ? value : String(value);
    case 'UInt64': case 'Int64': return typeof value === 'number' ? String(Math.trunc(value)) : String(value);
    case 'UInt32': case 'UInt8': return Number(value);
    case 'Float64': {
      const n = Number(value);
      return Number.isFinite(n) ? n : null;
    }
  }
}

function tsvValue(value: unknown, type: SqlType): string {
  const v = jsonValue(value, type);
  if (v === null) return '\\N';
  return String(v).replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n');
}

export interface FormattedResult { contentType: string; body: string }

export function formatResult(result: AnalyticsQueryResult, format: OutputFormat, limited: boolean): FormattedResult {
  const { meta, rows } = result;
  const objects = () => rows.map((row) => {
    const object: Record<string, unknown> = {};
    meta.forEach((column, i) => { object[column.name] = jsonValue(row[i], column.type); });
    return object;
  });
  switch (format) {
    case 'JSONEachRow':
      return { contentType: 'application/x-ndjson; charset=utf-8', body: objects().map((o) => `${JSON.stringify(o)}\n`).join('') };
    case 'TabSeparated':
      return { contentType: 'text/tab-separated-values; charset=utf-8', body: rows.map((row) => `${meta.map((c, i) => tsvValue(row[i], c.type)).join('\t')}\n`).join('') };
    case 'JSON': {
      const body: Record<string, unknown> = { meta, data: objects(), rows: rows.length };
      // ClickHouse states this only for queries with a LIMIT.
      if (limited) body['rows_before_limit_at_least'] = result.rowsBeforeLimit;
      return { contentType: 'application/json; charset=utf-8', body: `${JSON.stringify(body)}\n` };
    }
  }
}
