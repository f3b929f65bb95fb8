// Analytics Engine on a real `islet serve` (a child process with an engine process): workers deployed
// with `islet deploy` write points under real traffic, in the instrumentation-wrapper style Workers
// projects use, and `islet analytics query` reads them back per tenant. Also `--local` on islet dev's file.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Islet } from '../../src/host/islet.js';
import { MemoryLogSink } from '../../src/host/observability/log-sink.js';
import { eventually, makeProject, runIslet } from '../helpers/cli.js';
import { startServeProcess, tenantGet, type ServeProcess } from '../cli/serve-process.js';

const WRANGLER = `name = "shop"
main = "src/index.js"
compatibility_date = "2026-11-01"

[[analytics_engine_datasets]]
binding = "ANALYTICS"
dataset = "http_requests"
`;

// The common wrapper: time the handler, then record one point per request with blobs, doubles and
// an index, handing writeDataPoint's (undefined) result to waitUntil as such wrappers do.
const ENTRY = `function instrument(handler) {
  return {
    async fetch(request, env, ctx) {
      const start = Date.now();
      const path = new URL(request.url).pathname;
      try {
        const response = await handler.fetch(request, env, ctx);
        ctx.waitUntil(env.ANALYTICS.writeDataPoint({
          blobs: [path, request.method, JSON.stringify({ status: response.status })],
          doubles: [Date.now() - start, response.status],
          indexes: [path],
        }));
        return response;
      } catch (error) {
        ctx.waitUntil(env.ANALYTICS.writeDataPoint({ blobs: [path, request.method, error.message], doubles: [Date.now() - start, 500] }));
        throw error;
      }
    },
  };
}
export default instrument({
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname.endsWith('/boom')) throw new Error('boom');
    return new Response('ok', { status: url.pathname.endsWith('/missing') ? 404 : 200 });
  },
});
`;

const OTHER = `export default {
  fetch(request, env) {
    env.ANALYTICS.writeDataPoint({ blobs: ['/shop/secret', 'GET'], doubles: [1, 200], indexes: ['/shop/secret'] });
    return new Response('other');
  },
};
`;

let serve: ServeProcess;
let dir: string;
before(async () => {
  dir = makeProject({ 'wrangler.toml': WRANGLER, 'src/index.js': ENTRY, 'other.js': OTHER });
  serve = await startServeProcess(dir);
  const shop = serve.islet(['deploy'], dir);
  assert.equal(shop.code, 0, shop.stderr);
  // Another tenant writing to a dataset of the same name.
  const other = serve.islet(['deploy', 'other.js', '--name', 'other', '--tenant', 'rival'], dir);
  assert.equal(other.code, 0, other.stderr);
});
after(async () => {
  await serve?.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

test('points written under traffic appear in islet analytics query, per tenant', async () => {
  const paths = { '/shop/': 12, '/shop/missing': 5, '/shop/boom': 3 };
  for (const [path, times] of Object.entries(paths)) {
    await Promise.all(Array.from({ length: times }, () => tenantGet(serve.url, path)));
  }
  for (let i = 0; i < 4; i++) assert.equal((await tenantGet(serve.url, '/other/')).body, 'other');

  const sql = 'SELECT blob1 AS path, count() AS n, max(double2) AS status FROM http_requests GROUP BY path ORDER BY path';
  let rows: { path: string; n: string; status: number }[] = [];
  await eventually(async () => {
    const result = serve.islet(['analytics', 'query', sql, '--worker', 'shop'], dir);
    assert.equal(result.code, 0, result.stderr);
    rows = (JSON.parse(result.stdout) as { data: typeof rows }).data;
    return rows.reduce((sum, row) => sum + Number(row.n), 0) === 20;
  });
  assert.deepEqual(rows, [
    { path: '/shop/', n: '12', status: 200 },
    { path: '/shop/boom', n: '3', status: 500 },
    { path: '/shop/missing', n: '5', status: 404 },
  ]);
  // The thrown error's message was recorded as the third blob.
  const errors = serve.islet(['analytics', 'query', "SELECT blob3 FROM http_requests WHERE double2 = 500 LIMIT 1", '--tenant', 'shop'], dir);
  assert.deepEqual((JSON.parse(errors.stdout) as { data: unknown[] }).data, [{ blob3: 'boom' }]);

  // The rival tenant's points (same dataset name, a path crafted to look like shop's) stay its own.
  const rival = serve.islet(['analytics', 'query', 'SELECT count() AS n FROM http_requests', '--tenant', 'rival'], dir);
  assert.deepEqual((JSON.parse(rival.stdout) as { data: unknown[] }).data, [{ n: '4' }]);
  const crafted = serve.islet(['analytics', 'query', "SELECT count() AS n FROM http_requests WHERE blob1 = '/shop/secret' OR 1 = 1", '--worker', 'shop'], dir);
  assert.deepEqual((JSON.parse(crafted.stdout) as { data: unknown[] }).data, [{ n: '20' }]);
});

test('--format table prints the rows as a table', () => {
  const result = serve.islet(['analytics', 'query', "SELECT blob1, count() AS n FROM http_requests WHERE blob1 = '/shop/missing' GROUP BY blob1", '--worker', 'shop', '--format', 'table'], dir);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^blob1 +n$/m);
  assert.match(result.stdout, /^\/shop\/missing +5$/m);
});

test('unsupported or hostile SQL is a 400 the CLI reports, and exits 1', () => {
  for (const [sql, message] of [
    ['SELECT * FROM http_requests UNION SELECT * FROM http_requests', /UNION is not supported/],
    ['DELETE FROM http_requests', /Only SELECT queries are supported; DELETE is not/],
    ['SELECT * FROM http_requests; DROP TABLE analytics_points', /';' is not supported/],
  ] as const) {
    const result = serve.islet(['analytics', 'query', sql, '--worker', 'shop'], dir);
    assert.equal(result.code, 1, sql);
    assert.match(result.stderr, message);
  }
  const unknown = serve.islet(['analytics', 'query', 'SELECT 1 FROM x', '--worker', 'nobody'], dir);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /worker "nobody" not found/);
});

test('islet analytics query --local reads the file islet dev writes', async () => {
  const persist = join(dir, '.islet-local');
  const islet = new Islet({ dataDir: persist, log: new MemoryLogSink() });
  const worker = islet.createWorker({ name: 'shop', code: ENTRY, analyticsEngineDatasets: [{ binding: 'ANALYTICS', dataset: 'http_requests' }] });
  try {
    for (let i = 0; i < 3; i++) {
      const response = await worker.fetch({ method: 'GET', url: 'http://localhost/local', headers: '', body: null, traceId: `t${i}` });
      assert.equal(response.status, 200);
    }
    islet.analytics.flush();
    const result = runIslet(['analytics', 'query', 'SELECT blob1, count() AS n FROM http_requests GROUP BY blob1', '--local', '--persist-to', persist], dir);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual((JSON.parse(result.stdout) as { data: unknown[] }).data, [{ blob1: '/local', n: '3' }]);
  } finally {
    worker.dispose();
    islet.close();
  }
});
