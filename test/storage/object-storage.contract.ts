// Behaviour every Durable Object storage backend shares, from Cloudflare's documentation of the
// Storage API: https://developers.cloudflare.com/durable-objects/api/storage-api/ and the SQL API:
// https://developers.cloudflare.com/durable-objects/api/sqlite-storage-api/
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { deserialize, serialize } from 'node:v8';
import type { ObjectStorage } from '../../src/host/storage/durable-objects/object-storage.js';

const v = (value: unknown): Uint8Array => serialize(value);
const read = (bytes: Uint8Array | undefined): unknown => (bytes === undefined ? undefined : deserialize(bytes));
const keys = (entries: [string, Uint8Array][]): string[] => entries.map(([k]) => k);

export function objectStorageContract(name: string, open: () => { storage: ObjectStorage; reopen: () => ObjectStorage }): void {
  describe(`ObjectStorage contract: ${name}`, () => {
    const withStorage = (title: string, body: (storage: ObjectStorage, reopen: () => ObjectStorage) => void) =>
      test(title, () => {
        const { storage, reopen } = open();
        try { body(storage, reopen); } finally { storage.close(); }
      });

    withStorage('get of several keys returns only those present', (s) => {
      s.put([['a', v(1)], ['c', v({ x: [1, 2] })]]);
      const got = s.get(['c', 'b', 'a']);
      assert.deepEqual([...got.keys()], ['a', 'c']);
      assert.equal(read(got.get('a')), 1);
      assert.deepEqual(read(got.get('c')), { x: [1, 2] });
    });

    withStorage('a write is visible at once and durable after flush', (s, reopen) => {
      s.put([['k', v('value')]]);
      assert.equal(read(s.get(['k']).get('k')), 'value');
      assert.equal(s.dirty, true);
      s.flush();
      assert.equal(s.dirty, false);
      s.close();
      const again = reopen();
      try { assert.equal(read(again.get(['k']).get('k')), 'value'); } finally { again.close(); }
    });

    withStorage('writes not flushed are gone after discard', (s) => {
      s.put([['kept', v(1)]]);
      s.flush();
      s.put([['lost', v(2)]]);
      s.discard();
      assert.deepEqual([...s.get(['kept', 'lost']).keys()], ['kept']);
    });

    test('commit() ends the batch (discard no longer drops it); sync() resolves once it is on disk', async () => {
      const { storage: s, reopen } = open();
      try {
        s.put([['a', v(1)]]);
        assert.equal(s.unsynced, false);
        s.commit();
        assert.equal(s.dirty, false);
        assert.equal(s.unsynced, true);
        s.put([['b', v(2)]]);
        s.discard();
        assert.deepEqual([...s.get(['a', 'b']).keys()], ['a']);
        await s.sync();
        assert.equal(s.unsynced, false);
        // Nothing committed since: it resolves at once.
        await s.sync();
        s.put([['c', v(3)]]);
        s.commit();
        const pending = s.sync();
        // Committed after that sync began: it needs one of its own.
        s.put([['d', v(4)]]);
        s.commit();
        await pending;
        assert.equal(s.unsynced, true);
        await s.sync();
        assert.equal(s.unsynced, false);
      } finally {
        s.close();
      }
      const again = reopen();
      try { assert.deepEqual([...again.get(['a', 'b', 'c', 'd']).keys()], ['a', 'c', 'd']); } finally { again.close(); }
    });

    withStorage('delete counts the keys that existed', (s) => {
      s.put([['a', v(1)], ['b', v(2)]]);
      assert.equal(s.delete(['a', 'b', 'zz']), 2);
      assert.equal(s.delete(['a']), 0);
    });

    withStorage('list orders keys by their UTF-8 bytes and honours every option', (s) => {
      // UTF-16 order would put U+FF5E before U+1F600 (a surrogate pair); UTF-8 byte order puts it first too,
      // but 'é' (C3 A9) after 'z' (7A), and 'Z' (5A) before 'a' (61).
      const names = ['b', 'a', 'Z', 'é', 'z', 'ab', 'abc', 'ac', '\u{1F600}', '\uFF5E'];
      s.put(names.map((n, i) => [n, v(i)] as [string, Uint8Array]));
      const all = keys(s.list({}));
      assert.deepEqual(all, [...names].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y))));
      assert.deepEqual(all.slice(0, 6), ['Z', 'a', 'ab', 'abc', 'ac', 'b']);
      assert.deepEqual(keys(s.list({ prefix: 'ab' })), ['ab', 'abc']);
      assert.deepEqual(keys(s.list({ start: 'ab', end: 'b' })), ['ab', 'abc', 'ac']);
      assert.deepEqual(keys(s.list({ startAfter: 'ab', end: 'b' })), ['abc', 'ac']);
      assert.deepEqual(keys(s.list({ reverse: true, limit: 2 })), all.slice(-2).reverse());
      assert.deepEqual(keys(s.list({ prefix: 'a', reverse: true, limit: 3 })), ['ac', 'abc', 'ab']);
      assert.deepEqual(keys(s.list({ limit: 1 })), ['Z']);
    });

    withStorage('a transaction that rolls back leaves the earlier writes', (s) => {
      s.put([['a', v(1)]]);
      s.beginTransaction();
      s.put([['a', v(2)], ['b', v(3)]]);
      assert.equal(read(s.get(['a']).get('a')), 2);
      s.rollbackTransaction();
      assert.equal(read(s.get(['a']).get('a')), 1);
      assert.equal(s.get(['b']).size, 0);
      s.beginTransaction();
      s.put([['c', v(4)]]);
      s.commitTransaction();
      s.flush();
      assert.equal(read(s.get(['c']).get('c')), 4);
    });

    withStorage('deleteAll removes keys and SQL tables but keeps the alarm', (s) => {
      s.put([['a', v(1)]]);
      s.exec('CREATE TABLE t (x INTEGER)', []);
      s.setAlarm(1_900_000_000_000);
      s.deleteAll();
      assert.equal(s.list({}).length, 0);
      assert.throws(() => s.exec('SELECT * FROM t', []), /no such table/);
      assert.equal(s.getAlarm(), 1_900_000_000_000);
    });

    withStorage('the alarm is kept and cleared', (s, reopen) => {
      assert.equal(s.getAlarm(), null);
      s.setAlarm(1_800_000_000_123);
      s.flush();
      s.close();
      const again = reopen();
      try {
        assert.equal(again.getAlarm(), 1_800_000_000_123);
        again.setAlarm(null);
        assert.equal(again.getAlarm(), null);
      } finally { again.close(); }
    });

    withStorage('SQL: create, insert with bindings, query, cursor counts', (s) => {
      s.exec('CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, avatar BLOB)', []);
      const insert = s.exec('INSERT INTO users (name, avatar) VALUES (?, ?), (?, ?)', ['ada', new Uint8Array([1, 2]), 'bob', null]);
      assert.equal(insert.rowsWritten, 2);
      const result = s.exec('SELECT id, name, avatar FROM users ORDER BY id', []);
      assert.deepEqual(result.columnNames, ['id', 'name', 'avatar']);
      assert.equal(result.rows.length, 2);
      assert.deepEqual(result.rows[0]!.slice(0, 2), [1, 'ada']);
      assert.deepEqual([...(result.rows[0]![2] as Uint8Array)], [1, 2]);
      assert.equal(result.rowsRead, 2);
      assert.equal(result.rowsWritten, 0);
    });

    withStorage('SQL: several statements run in order; the cursor is the last one', (s) => {
      const result = s.exec("CREATE TABLE t (x); INSERT INTO t VALUES (1); INSERT INTO t VALUES ('a;b'); SELECT x FROM t WHERE x <> ? -- done", [1]);
      assert.deepEqual(result.rows, [['a;b']]);
    });

    withStorage('SQL: Cloudflare\'s reserved _cf_ tables and transaction statements are refused', (s) => {
      assert.throws(() => s.exec('SELECT * FROM _cf_KV', []), /prohibited.*SQLITE_AUTH/);
      assert.throws(() => s.exec('DELETE FROM "_cf_KV"', []), /SQLITE_AUTH/);
      assert.throws(() => s.exec('CREATE TABLE _cf_mine (x)', []), /SQLITE_AUTH/);
      assert.throws(() => s.exec('BEGIN TRANSACTION', []), /transaction\(\)/);
      assert.throws(() => s.exec("ATTACH DATABASE '/tmp/x.db' AS x", []), /SQLITE_AUTH/);
      s.put([['still', v(true)]]);
      assert.equal(s.get(['still']).size, 1);
    });

    withStorage('SQL: a statement beyond Cloudflare\'s limits fails', (s) => {
      s.exec('CREATE TABLE t (x)', []);
      assert.throws(() => s.exec('INSERT INTO t VALUES (?)', ['x'.repeat(2_000_001)]), /too big/);
      assert.throws(() => s.exec(`SELECT ${Array.from({ length: 101 }, () => '?').join(', ')}`, Array.from({ length: 101 }, () => 1)), /variable/);
    });

    withStorage('databaseSize grows with the data', (s) => {
      const before = s.databaseSize();
      s.exec('CREATE TABLE big (b BLOB)', []);
      s.exec('INSERT INTO big VALUES (randomblob(100000))', []);
      assert.ok(s.databaseSize() > before + 90_000);
    });
  });
}
