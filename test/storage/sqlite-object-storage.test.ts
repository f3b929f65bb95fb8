import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { AlarmIndex } from '../../src/host/storage/durable-objects/alarm-index.js';
import { SqliteObjectStorageProvider } from '../../src/host/storage/durable-objects/sqlite-object-storage.js';
import { objectStorageContract } from './object-storage.contract.js';

const root = mkdtempSync(join(tmpdir(), 'islet-do-storage-'));
after(() => rmSync(root, { recursive: true, force: true }));
let count = 0;

objectStorageContract('SqliteObjectStorage', () => {
  const provider = new SqliteObjectStorageProvider(join(root, `d${++count}`));
  const address = { scope: 'tenant', worker: 'w', className: 'Counter', id: 'a'.repeat(64) };
  return { storage: provider.open(address), reopen: () => provider.open(address) };
});

describe('SqliteObjectStorage files', () => {
  test('one database per object under <data>/durable-objects/<tenant>/<worker>/<class>/<id>.sqlite, mode 0600', () => {
    const dir = join(root, 'files');
    const provider = new SqliteObjectStorageProvider(dir);
    const storage = provider.open({ scope: 't1', worker: 'shop', className: 'Cart', id: 'b'.repeat(64) });
    storage.close();
    const file = join(dir, 'durable-objects', 't1', 'shop', 'Cart', `${'b'.repeat(64)}.sqlite`);
    assert.ok(existsSync(file));
    assert.equal(statSync(file).mode & 0o777, 0o600);
  });

  test('the alarm index lists due alarms earliest first and survives reopening', () => {
    const dir = join(root, 'alarms');
    const index = new AlarmIndex(dir);
    const at = { scope: 's', worker: 'w', className: 'C' };
    index.set({ ...at, id: '2', time: 2_000, retries: 0 });
    index.set({ ...at, id: '1', time: 1_000, retries: 3 });
    index.set({ ...at, id: '3', time: 9_000, retries: 0 });
    index.close();
    const again = new AlarmIndex(dir);
    try {
      assert.deepEqual(again.due(5_000).map((e) => [e.id, e.retries]), [['1', 3], ['2', 0]]);
      again.remove({ ...at, id: '1' });
      assert.deepEqual(again.due(5_000).map((e) => e.id), ['2']);
    } finally { again.close(); }
  });
});
