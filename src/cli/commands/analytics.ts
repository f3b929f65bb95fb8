// islet analytics query "SELECT ...": Cloudflare's Analytics Engine SQL API, against islet serve's
// admin API (one tenant's points, chosen by --tenant or --worker) or, with --local, against the file
// islet dev writes (where each worker's points are kept under its own name as the tenant).
import { join } from 'node:path';
import { AnalyticsService } from '../../host/bindings/analytics/analytics-service.js';
import { AnalyticsQueryTimeout } from '../../host/storage/analytics/analytics-store.js';
import { AnalyticsSqlError } from '../../host/storage/analytics/sql/sql-error.js';
import { SqliteAnalyticsStore } from '../../host/storage/analytics/sqlite-analytics-store.js';
import { findConfig, readWorkerConfig } from '../../host/workers/read-wrangler-config.js';
import { formatTable } from '../admin-format.js';
import { adminClient } from '../admin-options.js';
import { UsageError, parse } from '../args.js';

export const ANALYTICS_HELP = `islet analytics query "SELECT ..." [options]

Runs a query in Cloudflare's Analytics Engine SQL dialect over one tenant's data points:
  SELECT blob1, count() AS n FROM my_dataset WHERE timestamp > now() - INTERVAL '1' DAY GROUP BY blob1 ORDER BY n DESC LIMIT 10

Options:
  --worker NAME        the worker whose tenant's data to query (default: "name" in the wrangler config)
  --tenant T           the tenant whose data to query, instead of --worker
  --format json|table  print the server's answer (default: json), or a table of its rows
  --server URL         the admin API of islet serve (default: $ISLET_SERVER, else http://127.0.0.1:8788)
  --token TOKEN        the admin token (default: $ISLET_ADMIN_TOKEN)
  --local              query the data islet dev wrote instead (each worker's points under its name)
  --persist-to DIR     with --local: where local state is kept (default: .islet next to the config)
  --config FILE        the wrangler config (default: found from the current directory)
`;

const OPTIONS = {
  worker: { type: 'string' }, tenant: { type: 'string' }, format: { type: 'string' },
  server: { type: 'string' }, token: { type: 'string' }, local: { type: 'boolean' }, 'persist-to': { type: 'string' },
  config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' },
} as const;

interface JsonResult { meta: { name: string }[]; data: Record<string, unknown>[] }

function asJsonResult(text: string): JsonResult | null {
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value !== 'object' || value === null) return null;
    const { meta, data } = value as { meta?: unknown; data?: unknown };
    if (!Array.isArray(meta) || !Array.isArray(data)) return null;
    if (!meta.every((m) => typeof m === 'object' && m !== null && typeof (m as { name?: unknown }).name === 'string')) return null;
    return { meta: meta as { name: string }[], data: data as Record<string, unknown>[] };
  } catch {
    return null;
  }
}

function print(body: string, format: string): void {
  const result = format === 'table' ? asJsonResult(body) : null;
  if (result === null) { process.stdout.write(body.endsWith('\n') ? body : `${body}\n`); return; }
  const header = result.meta.map((m) => m.name);
  const rows = result.data.map((row) => header.map((name) => {
    const value = row[name];
    return value === null || value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value);
  }));
  process.stdout.write(`${formatTable(header, rows)}\n`);
}

function configName(values: { config?: string | undefined }): { name: string; rootDir: string } | null {
  const cwd = process.cwd();
  if (values.config === undefined && findConfig(cwd) === null) return null;
  const config = readWorkerConfig({ cwd, requireMain: false, ...(values.config !== undefined ? { configPath: values.config } : {}) });
  return { name: config.name, rootDir: config.rootDir };
}

export async function analytics(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') { process.stdout.write(ANALYTICS_HELP); return 0; }
  if (command !== 'query') throw new UsageError(`Unknown analytics command "${command}". Use: islet analytics query "SELECT ..."`);
  const { values, positionals } = parse(rest, OPTIONS);
  if (values.help === true) { process.stdout.write(ANALYTICS_HELP); return 0; }
  const [sql, ...extra] = positionals;
  if (sql === undefined || sql.trim() === '') throw new UsageError('Give the query: islet analytics query "SELECT ... FROM dataset"');
  if (extra.length > 0) throw new UsageError(`Too many arguments: ${extra.join(' ')} (quote the query as one argument)`);
  const format = values.format ?? 'json';
  if (format !== 'json' && format !== 'table') throw new UsageError('--format takes json or table.');
  if (values.worker !== undefined && values.tenant !== undefined) throw new UsageError('Choose --worker or --tenant, not both.');
  if (values.local === true && values.server !== undefined) throw new UsageError('Choose --local or --server, not both.');

  if (values.local === true) {
    const project = values.tenant === undefined && values.worker === undefined ? configName(values) : null;
    const tenant = values.tenant ?? values.worker ?? project?.name;
    if (tenant === undefined) throw new UsageError('Say whose data to query: --worker NAME (no wrangler config here to take the name from).');
    const dir = values['persist-to'] ?? join(project?.rootDir ?? configName(values)?.rootDir ?? process.cwd(), '.islet');
    const service = new AnalyticsService(new SqliteAnalyticsStore(dir, { readOnly: true }));
    try {
      print(service.query(tenant, sql).body, format);
      return 0;
    } catch (err) {
      if (err instanceof AnalyticsSqlError || err instanceof AnalyticsQueryTimeout) throw new UsageError(err.message);
      throw err;
    } finally {
      service.close();
    }
  }

  let scope: { tenant: string } | { worker: string };
  if (values.tenant !== undefined) scope = { tenant: values.tenant };
  else if (values.worker !== undefined) scope = { worker: values.worker };
  else {
    const project = configName(values);
    if (project === null) throw new UsageError('Say whose data to query: --worker NAME or --tenant T (no wrangler config here to take the name from).');
    scope = { worker: project.name };
  }
  const body = await adminClient(values).analyticsSql(scope, sql);
  print(body, format);
  return 0;
}
