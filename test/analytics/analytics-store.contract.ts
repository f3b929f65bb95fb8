// The behaviour every AnalyticsStore backend must have. Run it with a factory for a fresh store.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AnalyticsQueryTimeout, type AnalyticsPoint, type AnalyticsStore } from '../../src/host/storage/analytics/analytics-store.js';
import { parseQuery } from '../../src/host/storage/analytics/sql/parse-query.js';
import { AnalyticsUnknownDataset } from '../../src/host/storage/analytics/sql/sql-error.js';

const NOW = 1_700_000_000;
const OPTIONS = { nowSeconds: NOW, timeoutMs: 5_000, maxRows: 10_000 };

function point(tenant: string, dataset: string, timestamp: number, index1: string, blobs: string[] = [], doubles: number[] = []): AnalyticsPoint {
  return { tenant, dataset, timestamp, index1, blobs, doubles };
}

export function analyticsStoreContract(name: string, open: () => AnalyticsStore): void {
  describe(`${name}: AnalyticsStore contract`, () => {
    const run = (store: AnalyticsStore, tenant: string, sql: string) => {
      const query = parseQuery(sql);
      return store.query({ tenant, dataset: query.dataset }, query, OPTIONS);
    };

    it('returns written points with every column, in order, unset ones empty', () => {
      const store = open();
      try {
        store.write([point('t1', 'ds', NOW - 10, 'i', ['a', 'b'], [1.25])]);
        const result = run(store, 't1', 'SELECT * FROM ds');
        assert.equal(result.meta.length, 1 + 1 + 20 + 20 + 1);
        assert.deepEqual(result.meta.slice(0, 3), [{ name: 'timestamp', type: 'DateTime' }, { name: 'index1', type: 'String' }, { name: 'blob1', type: 'String' }]);
        assert.deepEqual(result.meta.at(-1), { name: '_sample_interval', type: 'UInt32' });
        assert.equal(result.rows.length, 1);
        const row = result.rows[0]!;
        assert.deepEqual(row.slice(0, 5), [NOW - 10, 'i', 'a', 'b', '']);
        assert.equal(row[22], 1.25);
        assert.equal(row[23], 0);
        assert.equal(row[42], 1);
      } finally {
        store.close();
      }
    });

    it('shows a tenant only its own points of the named dataset', () => {
      const store = open();
      try {
        store.write([
          point('t1', 'ds', NOW, 'mine'), point('t2', 'ds', NOW, 'theirs'), point('t1', 'other', NOW, 'other-dataset'),
        ]);
        assert.deepEqual(run(store, 't1', 'SELECT index1 FROM ds').rows, [['mine']]);
        assert.deepEqual(run(store, 't2', 'SELECT index1 FROM ds').rows, [['theirs']]);
        assert.throws(() => run(store, 't3', 'SELECT count() FROM ds'), AnalyticsUnknownDataset, 'another tenant\'s dataset is not one t3 wrote to');
      } finally {
        store.close();
      }
    });

    it('writes a batch atomically and keeps batches apart', () => {
      const store = open();
      try {
        store.write(Array.from({ length: 500 }, (_, i) => point('t', 'ds', NOW - i, String(i), [], [i])));
        store.write([]);
        const result = run(store, 't', 'SELECT count(), sum(double1) FROM ds');
        assert.deepEqual(result.rows, [[500, (499 * 500) / 2]]);
      } finally {
        store.close();
      }
    });

    it('knows a dataset from its first write on, also once its points have expired; never written, it is an unknown table', () => {
      const store = open();
      try {
        assert.throws(() => run(store, 't', 'SELECT count() FROM ds'), AnalyticsUnknownDataset);
        store.write([point('t', 'ds', NOW - 100, 'old')]);
        assert.deepEqual(run(store, 't', 'SELECT count() FROM ds').rows, [[1]]);
        store.prune(NOW);
        assert.deepEqual(run(store, 't', 'SELECT count() FROM ds').rows, [[0]]);
        assert.throws(() => run(store, 't', 'SELECT count() FROM never'), AnalyticsUnknownDataset);
      } finally {
        store.close();
      }
    });

    it('prunes points older than the cut-off and keeps the rest', () => {
      const store = open();
      try {
        store.write([point('t', 'ds', NOW - 100, 'old'), point('t', 'ds', NOW - 50, 'edge'), point('t', 'ds', NOW, 'new')]);
        assert.equal(store.prune(NOW - 50), 1);
        assert.deepEqual(run(store, 't', 'SELECT index1 FROM ds ORDER BY timestamp').rows, [['edge'], ['new']]);
      } finally {
        store.close();
      }
    });

    it('applies LIMIT and OFFSET after counting the rows before them', () => {
      const store = open();
      try {
        store.write(Array.from({ length: 30 }, (_, i) => point('t', 'ds', NOW - i, `k${String(i).padStart(2, '0')}`)));
        const result = run(store, 't', 'SELECT index1 FROM ds ORDER BY index1 LIMIT 5 OFFSET 10');
        assert.deepEqual(result.rows.map((r) => r[0]), ['k10', 'k11', 'k12', 'k13', 'k14']);
        assert.equal(result.rowsBeforeLimit, 30);
        const capped = store.query({ tenant: 't', dataset: 'ds' }, parseQuery('SELECT index1 FROM ds'), { ...OPTIONS, maxRows: 7 });
        assert.equal(capped.rows.length, 7);
      } finally {
        store.close();
      }
    });

    it('stops a query that runs past its time limit', () => {
      const store = open();
      try {
        store.write(Array.from({ length: 20_000 }, (_, i) => point('t', 'ds', NOW - i, String(i % 100), [String(i)], [i])));
        const query = parseQuery("SELECT blob1, count() FROM ds WHERE blob1 LIKE '%1%' GROUP BY blob1 ORDER BY blob1");
        assert.throws(() => store.query({ tenant: 't', dataset: 'ds' }, query, { ...OPTIONS, timeoutMs: 0 }), AnalyticsQueryTimeout);
        // The same query with time to run completes.
        assert.ok(store.query({ tenant: 't', dataset: 'ds' }, query, OPTIONS).rows.length > 0);
      } finally {
        store.close();
      }
    });
  });
}
