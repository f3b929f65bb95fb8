// The SQLite backend: the contract suite on a real file in a temp dir, plus what only a file shows
// (its mode, a read-only opener that cannot write, WAL readers beside a writer).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, describe, it } from 'node:test';
import { parseQuery } from '../../src/host/storage/analytics/sql/parse-query.js';
import { AnalyticsUnknownDataset } from '../../src/host/storage/analytics/sql/sql-error.js';
import { SqliteAnalyticsStore } from '../../src/host/storage/analytics/sqlite-analytics-store.js';
import { analyticsStoreContract } from './analytics-store.contract.js';

const dirs: string[] = [];
function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'islet-analytics-'));
  dirs.push(dir);
  return dir;
}
after(() => { for (const dir of dirs) rmSync(dir, { recursive: true, force: true }); });

analyticsStoreContract('SqliteAnalyticsStore', () => new SqliteAnalyticsStore(freshDir()));

describe('SqliteAnalyticsStore file', () => {
  it('is created readable by its owner only, in WAL mode', () => {
    const dir = freshDir();
    const store = new SqliteAnalyticsStore(dir);
    store.write([{ tenant: 't', dataset: 'd', timestamp: 1, index1: '', blobs: [], doubles: [] }]);
    assert.equal(statSync(store.path).mode & 0o777, 0o600);
    const probe = new DatabaseSync(store.path, { readOnly: true });
    assert.deepEqual({ ...probe.prepare('PRAGMA journal_mode').get() }, { journal_mode: 'wal' });
    probe.close();
    store.close();
  });

  it('opened read-only, answers queries from another process\'s writes and cannot write', () => {
    const dir = freshDir();
    const writer = new SqliteAnalyticsStore(dir);
    const reader = new SqliteAnalyticsStore(dir, { readOnly: true });
    try {
      writer.write([{ tenant: 't', dataset: 'd', timestamp: 5, index1: 'x', blobs: [], doubles: [] }]);
      const query = parseQuery('SELECT index1 FROM d');
      assert.deepEqual(reader.query({ tenant: 't', dataset: 'd' }, query, { nowSeconds: 10, timeoutMs: 1_000, maxRows: 10 }).rows, [['x']]);
      assert.throws(() => reader.write([]), /read-only/);
      assert.equal(reader.prune(100), 0);
    } finally {
      reader.close();
      writer.close();
    }
  });

  it('a read-only store on a missing file knows no dataset', () => {
    const reader = new SqliteAnalyticsStore(freshDir(), { readOnly: true });
    assert.throws(() => reader.query({ tenant: 't', dataset: 'd' }, parseQuery('SELECT count() FROM d'), { nowSeconds: 0, timeoutMs: 1_000, maxRows: 10 }), AnalyticsUnknownDataset);
    reader.close();
  });

  it('a file written before datasets were recorded knows the datasets its points name', () => {
    const dir = freshDir();
    const old = new SqliteAnalyticsStore(dir);
    old.write([{ tenant: 't', dataset: 'd', timestamp: 5, index1: 'x', blobs: [], doubles: [] }]);
    old.close();
    const raw = new DatabaseSync(join(dir, 'analytics.sqlite'));
    raw.exec('DROP TABLE analytics_datasets');
    raw.close();
    const options = { nowSeconds: 10, timeoutMs: 1_000, maxRows: 10 };
    // A reader on the file as it was, and the file once a writer has opened it again.
    const reader = new SqliteAnalyticsStore(dir, { readOnly: true });
    try {
      assert.deepEqual(reader.query({ tenant: 't', dataset: 'd' }, parseQuery('SELECT index1 FROM d'), options).rows, [['x']]);
      assert.throws(() => reader.query({ tenant: 't', dataset: 'e' }, parseQuery('SELECT index1 FROM e'), options), AnalyticsUnknownDataset);
    } finally {
      reader.close();
    }
    const reopened = new SqliteAnalyticsStore(dir);
    try {
      reopened.prune(100);
      assert.deepEqual(reopened.query({ tenant: 't', dataset: 'd' }, parseQuery('SELECT count() FROM d'), options).rows, [[0]]);
    } finally {
      reopened.close();
    }
  });
});
