// Opening one of Islet's SQLite files. islet serve's engines, their standby and the supervisor open the
// same files at once when they boot, and switching a file to WAL needs a lock SQLite does not wait
// for through the busy timeout (it answers SQLITE_BUSY at once to avoid a deadlock), so the switch is
// retried here for as long as the busy timeout would have waited.
import { closeSync, openSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';

type DatabaseOptions = NonNullable<ConstructorParameters<typeof DatabaseSync>[1]>;

/** How long a locked file is waited for: opening, switching to WAL, and every statement after. */
export const BUSY_TIMEOUT_MS = 5_000;
const RETRY_MS = 10;

/**
 * Opens `path` (created readable by the server's user only: SQLite gives the -wal and -shm files the
 * same mode) in WAL mode with the busy timeout.
 */
export function openWalDatabase(path: string, options: DatabaseOptions = {}): DatabaseSync {
  closeSync(openSync(path, 'a', 0o600));
  const db = new DatabaseSync(path, { timeout: BUSY_TIMEOUT_MS, ...options });
  const deadline = performance.now() + BUSY_TIMEOUT_MS;
  for (;;) {
    try {
      db.exec('PRAGMA journal_mode = WAL');
      return db;
    } catch (err) {
      if (!isBusy(err) || performance.now() > deadline) {
        db.close();
        throw err;
      }
      // A synchronous pause: the stores are opened synchronously, before anything else runs.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, RETRY_MS);
    }
  }
}

function isBusy(err: unknown): boolean {
  return err instanceof Error && /database is locked|database is busy/i.test(err.message);
}
