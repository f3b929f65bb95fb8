import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { SqliteQueueStore } from '../../src/host/storage/queues/sqlite-queue-store.js';
import { queueStoreContract } from './queue-store.contract.js';

const dirs: string[] = [];
after(() => { for (const dir of dirs) rmSync(dir, { recursive: true, force: true }); });

queueStoreContract('SqliteQueueStore', () => {
  const dir = mkdtempSync(join(tmpdir(), 'islet-queue-store-'));
  dirs.push(dir);
  return dir;
}, (dir) => new SqliteQueueStore(dir));
