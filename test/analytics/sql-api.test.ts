// The SQL API dialect: results checked against values computed here from the same points, and the
// queries it must refuse (other tenants' rows, other tables, writes, several statements).
// @see https://developers.cloudflare.com/analytics/analytics-engine/sql-reference/
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AnalyticsService } from '../../src/host/bindings/analytics/analytics-service.js';
import type { AnalyticsPoint } from '../../src/host/storage/analytics/analytics-store.js';
import { AnalyticsSqlError, AnalyticsUnknownDataset } from '../../src/host/storage/analytics/sql/sql-error.js';
import { SqliteAnalyticsStore } from '../../src/host/storage/analytics/sqlite-analytics-store.js';

// 2024-01-01 00:00:00 UTC; the points span the two hours after it.
const START = 1_704_067_200;
const NOW_MS = (START + 7_200) * 1000;
const PATHS = ['/', '/api', '/login', '/img'];

/** A small deterministic generator, so the data is the same on every run. */
function* numbers(seed: number): Generator<number> {
  let x = seed;
  for (;;) { x = (x * 1_103_515_245 + 12_345) % 2 ** 31; yield x; }
}

function makePoints(tenant: string, count: number, seed: number): AnalyticsPoint[] {
  const random = numbers(seed);
  return Array.from({ length: count }, (_, i) => {
    // The high bits: an LCG's low bits repeat with a short period.
    const r = Math.floor((random.next().value as number) / 65_536);
    return {
      tenant, dataset: 'requests', timestamp: START + (r % 7_200), index1: `customer-${r % 5}`,
      blobs: [PATHS[r % PATHS.length]!, r % 7 === 0 ? 'error' : 'ok'], doubles: [(r % 1000) / 10, i],
    };
  });
}

describe('Analytics Engine SQL API', () => {
  let dir: string;
  let service: AnalyticsService;
  const mine = makePoints('acme', 2_000, 7);
  const theirs = makePoints('globex', 500, 99).map((p) => ({ ...p, index1: 'SECRET', blobs: ['/secret', 'leak'] }));

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'islet-sql-'));
    service = new AnalyticsService(new SqliteAnalyticsStore(dir), { clock: () => NOW_MS });
    service.accept([...mine, ...theirs, { ...mine[0]!, dataset: 'other_dataset', index1: 'OTHER' }]);
  });
  after(() => { service.close(); rmSync(dir, { recursive: true, force: true }); });

  const json = (sql: string, tenant = 'acme') => JSON.parse(service.query(tenant, sql).body) as {
    meta: { name: string; type: string }[]; data: Record<string, unknown>[]; rows: number; rows_before_limit_at_least?: number;
  };

  it('answers in Cloudflare\'s JSON shape: meta, data, rows, rows_before_limit_at_least', () => {
    const result = json('SELECT blob1 AS path, count() AS n FROM requests GROUP BY path ORDER BY path LIMIT 2');
    assert.deepEqual(result.meta, [{ name: 'path', type: 'String' }, { name: 'n', type: 'UInt64' }]);
    assert.equal(result.rows, 2);
    assert.equal(result.rows_before_limit_at_least, PATHS.length);
    assert.equal(result.data.length, 2);
  });

  it('GROUP BY with count, sum, avg, min, max matches the points', () => {
    const result = json(`SELECT blob1, count() AS n, sum(double1) AS total, avg(double1) AS mean, min(double1) AS low, max(double1) AS high
      FROM requests GROUP BY blob1 ORDER BY blob1`);
    const expected = [...PATHS].sort().map((path) => {
      const values = mine.filter((p) => p.blobs[0] === path).map((p) => p.doubles[0]!);
      const total = values.reduce((a, b) => a + b, 0);
      return { blob1: path, n: String(values.length), total, mean: total / values.length, low: Math.min(...values), high: Math.max(...values) };
    });
    assert.equal(result.data.length, expected.length);
    result.data.forEach((row, i) => {
      const want = expected[i]!;
      assert.equal(row.blob1, want.blob1);
      assert.equal(row.n, want.n);
      assert.ok(Math.abs((row.total as number) - want.total) < 1e-6);
      assert.ok(Math.abs((row.mean as number) - want.mean) < 1e-9);
      assert.equal(row.low, want.low);
      assert.equal(row.high, want.high);
    });
  });

  it('WHERE, ORDER BY ... DESC and LIMIT pick the same rows as filtering here', () => {
    const result = json("SELECT index1, double2 FROM requests WHERE blob2 = 'error' AND double1 >= 50 ORDER BY double2 DESC LIMIT 5");
    const expected = mine.filter((p) => p.blobs[1] === 'error' && p.doubles[0]! >= 50).sort((a, b) => b.doubles[1]! - a.doubles[1]!).slice(0, 5);
    assert.deepEqual(result.data, expected.map((p) => ({ index1: p.index1, double2: p.doubles[1] })));
  });

  it('buckets time with toStartOfInterval and counts each bucket', () => {
    const result = json(`SELECT toStartOfInterval(timestamp, INTERVAL '15' MINUTE) AS t, count() AS n
      FROM requests WHERE timestamp >= now() - INTERVAL '1' HOUR GROUP BY t ORDER BY t`);
    const since = START + 7_200 - 3_600;
    const buckets = new Map<number, number>();
    for (const p of mine) {
      if (p.timestamp < since) continue;
      const t = Math.floor(p.timestamp / 900) * 900;
      buckets.set(t, (buckets.get(t) ?? 0) + 1);
    }
    const expected = [...buckets].sort((a, b) => a[0] - b[0]).map(([t, n]) => ({
      t: new Date(t * 1000).toISOString().slice(0, 19).replace('T', ' '), n: String(n),
    }));
    assert.equal(result.meta[0]!.type, 'DateTime');
    assert.deepEqual(result.data, expected);
    assert.equal(expected.length, 4);
  });

  it('compares timestamps with date strings, toDateTime and toUnixTimestamp', () => {
    const cut = START + 1_800;
    const result = json(`SELECT count() AS n, min(toUnixTimestamp(timestamp)) AS first FROM requests
      WHERE timestamp > '2024-01-01 00:30:00' AND timestamp < toDateTime(${START + 3_600})`);
    const within = mine.filter((p) => p.timestamp > cut && p.timestamp < START + 3_600);
    assert.deepEqual(result.data, [{ n: String(within.length), first: Math.min(...within.map((p) => p.timestamp)) }]);
  });

  it('HAVING, IN, LIKE, countIf and arithmetic', () => {
    const result = json(`SELECT index1, countIf(blob2 = 'error') AS errors, sum(double1) / count() AS per
      FROM requests WHERE blob1 IN ('/api', '/login') AND index1 LIKE 'customer-%' GROUP BY index1 HAVING count() > 10 ORDER BY index1`);
    const rows = new Map<string, { n: number; errors: number; total: number }>();
    for (const p of mine) {
      if (p.blobs[0] !== '/api' && p.blobs[0] !== '/login') continue;
      const row = rows.get(p.index1) ?? { n: 0, errors: 0, total: 0 };
      row.n++; row.total += p.doubles[0]!; if (p.blobs[1] === 'error') row.errors++;
      rows.set(p.index1, row);
    }
    const expected = [...rows].filter(([, r]) => r.n > 10).sort((a, b) => (a[0] < b[0] ? -1 : 1));
    assert.equal(result.data.length, expected.length);
    result.data.forEach((row, i) => {
      const [index1, want] = expected[i]!;
      assert.equal(row.index1, index1);
      assert.equal(row.errors, String(want.errors));
      assert.ok(Math.abs((row.per as number) - want.total / want.n) < 1e-9);
    });
  });

  it('quantileWeighted(q, column, weight) gives the weighted median', () => {
    const result = json('SELECT quantileWeighted(0.5, double1, _sample_interval) AS p50 FROM requests');
    const sorted = mine.map((p) => p.doubles[0]!).sort((a, b) => a - b);
    // Every weight is 1: the smallest value with at least half the points at or below it.
    assert.deepEqual(result.data, [{ p50: sorted[Math.ceil(sorted.length / 2) - 1] }]);
  });

  it('FORMAT JSONEachRow and TabSeparated', () => {
    const each = service.query('acme', "SELECT blob1, count() AS n FROM requests WHERE blob1 = '/' GROUP BY blob1 FORMAT JSONEachRow");
    const count = mine.filter((p) => p.blobs[0] === '/').length;
    assert.equal(each.body, `${JSON.stringify({ blob1: '/', n: String(count) })}\n`);
    const tsv = service.query('acme', "SELECT blob1, count() FROM requests WHERE blob1 = '/' GROUP BY blob1 FORMAT TabSeparated");
    assert.equal(tsv.body, `/\t${count}\n`);
  });

  it('a tenant never sees another tenant\'s points or another dataset\'s', () => {
    assert.deepEqual(json("SELECT count() AS n FROM requests WHERE index1 = 'SECRET' OR blob2 = 'leak'").data, [{ n: '0' }]);
    assert.deepEqual(json('SELECT count() AS n FROM requests').data, [{ n: String(mine.length) }]);
    assert.deepEqual(json('SELECT count() AS n FROM requests', 'globex').data, [{ n: String(theirs.length) }]);
    assert.deepEqual(json("SELECT count() AS n FROM requests WHERE index1 = 'OTHER'").data, [{ n: '0' }]);
  });

  it('refuses a dataset the tenant never wrote to, as a table that does not exist (Cloudflare creates it on the first write)', () => {
    const unknown = (sql: string, tenant = 'acme') => assert.throws(() => service.query(tenant, sql),
      (err: unknown) => err instanceof AnalyticsUnknownDataset && err instanceof AnalyticsSqlError && /Unknown dataset "nothing_here"|Unknown dataset "other_dataset"/.test(err.message), `${tenant}: ${sql}`);
    unknown('SELECT count() AS n FROM nothing_here');
    // other_dataset exists for acme only: another tenant's datasets are not its own.
    unknown('SELECT count() AS n FROM other_dataset', 'globex');
    assert.deepEqual(json('SELECT count() AS n FROM other_dataset').data, [{ n: '1' }]);
  });

  const refused: [string, RegExp][] = [
    ['SELECT * FROM requests UNION ALL SELECT * FROM requests', /UNION is not supported/],
    ["SELECT index1 FROM requests WHERE index1 IN (SELECT index1 FROM requests)", /Subqueries are not supported/],
    ['SELECT * FROM (SELECT * FROM requests)', /Subqueries are not supported/],
    ["SELECT * FROM requests -- WHERE tenant = 'x'", /Comments are not supported/],
    ['SELECT * FROM requests /* x */', /Comments are not supported/],
    ['SELECT * FROM analytics_points', /^$/],
    ['SELECT * FROM sqlite_master', /^$/],
    ['SELECT tenant FROM requests', /Unknown column tenant/],
    ['SELECT * FROM requests WHERE dataset = \'x\'', /Unknown column dataset/],
    ['SELECT * FROM requests; DROP TABLE analytics_points', /';' is not supported/],
    ['SELECT 1 FROM requests;', /';' is not supported/],
    ['PRAGMA table_info(analytics_points)', /Only SELECT queries are supported; PRAGMA is not/],
    ["ATTACH DATABASE '/tmp/x' AS x", /Only SELECT queries are supported; ATTACH is not/],
    ["INSERT INTO requests (blob1) VALUES ('x')", /Only SELECT queries are supported; INSERT is not/],
    ['DELETE FROM requests', /Only SELECT queries are supported; DELETE is not/],
    ['DROP TABLE requests', /Only SELECT queries are supported; DROP is not/],
    ['UPDATE requests SET blob1 = 1', /Only SELECT queries are supported; UPDATE is not/],
    ['SELECT * FROM main.analytics_points', /Qualified table names/],
    ['SELECT * FROM requests a JOIN requests b ON a.index1 = b.index1', /Table aliases are not supported|Joins are not supported/],
    ['SELECT * FROM requests, analytics_points', /Joins are not supported/],
    ['SELECT load_extension(\'x\') FROM requests', /Function load_extension\(\) is not supported/],
    ['SELECT sqlite_version() FROM requests', /Function sqlite_version\(\) is not supported/],
    ['SELECT * FROM requests FORMAT CSV', /FORMAT CSV is not supported/],
    ['SELECT * FROM requests WHERE count() > 1', /not allowed in WHERE/],
    ['WITH x AS (SELECT 1) SELECT * FROM x', /Only SELECT queries are supported; WITH is not/],
  ];

  it('refuses what it does not support, naming it', () => {
    for (const [sql, message] of refused) {
      if (message.source === '^$') continue;
      assert.throws(() => service.query('acme', sql), (err: unknown) => err instanceof AnalyticsSqlError && message.test(err.message), sql);
    }
  });

  it('reads a dataset named like an internal table as a dataset, never the table', () => {
    // FROM names a dataset, bound as a parameter: these are datasets never written to, not SQLite's tables.
    for (const sql of ['SELECT count() AS n FROM analytics_points', 'SELECT count() AS n FROM analytics_datasets', 'SELECT count() AS n FROM sqlite_master', 'SELECT count() AS n FROM "requests\' OR 1=1 --"']) {
      assert.throws(() => service.query('acme', sql), (err: unknown) => err instanceof AnalyticsUnknownDataset, sql);
    }
  });

  it('leaves the data unchanged whatever was tried', () => {
    assert.deepEqual(json('SELECT count() AS n FROM requests').data, [{ n: String(mine.length) }]);
  });
});
