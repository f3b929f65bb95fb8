// islet serve's engines, standby and supervisor open the same SQLite files at the same moment. Done
// naively (open, then switch to WAL) some of them fail with "database is locked": SQLite does not wait
// through the busy timeout for the switch. Eight processes race on fresh files, ten times.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const HELPER = fileURLToPath(new URL('../../src/host/storage/open-database.ts', import.meta.url));
// Every child waits for the same moment before opening, so they really do race.
const OPENER = `
import { openWalDatabase } from ${JSON.stringify(HELPER)};
const wait = Number(process.argv[2]) - Date.now();
if (wait > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, wait);
const db = openWalDatabase(process.argv[1]);
db.exec('CREATE TABLE IF NOT EXISTS t (a)');
if (db.prepare('PRAGMA journal_mode').get().journal_mode !== 'wal') process.exit(3);
db.close();
`;

function open(path: string, at: number): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    // Node 24 strips the helper's types itself.
    const child = spawn(process.execPath, ['--no-warnings', '--input-type=module', '-e', OPENER, path, String(at)], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

test('processes opening one fresh file at once all get it, in WAL mode, readable by the owner only', { timeout: 120_000 }, async () => {
  for (let round = 0; round < 10; round++) {
    const dir = mkdtempSync(join(tmpdir(), 'islet-wal-race-'));
    try {
      const path = join(dir, 'shared.sqlite');
      const at = Date.now() + 400;
      const results = await Promise.all(Array.from({ length: 8 }, () => open(path, at)));
      for (const result of results) assert.equal(result.code, 0, result.stderr);
      assert.equal(statSync(path).mode & 0o777, 0o600);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
});
