// Every object with an alarm, in one table of <data>/durable-objects/alarms.sqlite, so that alarms fire
// after a restart without opening every object's database: the scheduler scans this index. The
// object's own database holds the alarm time getAlarm() answers; this index mirrors it, written by the
// process running the object once the object's writes are durable, and carries the retry count.
// Several processes (islet serve's engines and its supervisor) open it at once: WAL and a busy timeout.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { openWalDatabase } from '../open-database.js';

export interface AlarmEntry {
  scope: string;
  worker: string;
  className: string;
  id: string;
  /** Epoch milliseconds. */
  time: number;
  /** Failed runs of this alarm so far (0 for a first run). */
  retries: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS alarms (
  scope TEXT NOT NULL, worker TEXT NOT NULL, class TEXT NOT NULL, id TEXT NOT NULL,
  time INTEGER NOT NULL, retries INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (scope, worker, class, id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS alarms_time ON alarms (time);
`;

export class AlarmIndex {
  readonly path: string;
  readonly #db: DatabaseSync;
  readonly #set: StatementSync;
  readonly #remove: StatementSync;
  readonly #due: StatementSync;
  readonly #get: StatementSync;

  constructor(dataDir: string) {
    const dir = join(dataDir, 'durable-objects');
    mkdirSync(dir, { recursive: true });
    this.path = join(dir, 'alarms.sqlite');
    this.#db = openWalDatabase(this.path);
    this.#db.exec('PRAGMA synchronous = FULL');
    this.#db.exec(SCHEMA);
    this.#set = this.#db.prepare(`INSERT INTO alarms (scope, worker, class, id, time, retries) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (scope, worker, class, id) DO UPDATE SET time = excluded.time, retries = excluded.retries`);
    this.#remove = this.#db.prepare('DELETE FROM alarms WHERE scope = ? AND worker = ? AND class = ? AND id = ?');
    this.#due = this.#db.prepare('SELECT scope, worker, class, id, time, retries FROM alarms WHERE time <= ? ORDER BY time LIMIT ?');
    this.#get = this.#db.prepare('SELECT scope, worker, class, id, time, retries FROM alarms WHERE scope = ? AND worker = ? AND class = ? AND id = ?');
  }

  set(entry: AlarmEntry): void {
    this.#set.run(entry.scope, entry.worker, entry.className, entry.id, Math.floor(entry.time), entry.retries);
  }

  remove(entry: Omit<AlarmEntry, 'time' | 'retries'>): void {
    this.#remove.run(entry.scope, entry.worker, entry.className, entry.id);
  }

  get(entry: Omit<AlarmEntry, 'time' | 'retries'>): AlarmEntry | null {
    const row = this.#get.get(entry.scope, entry.worker, entry.className, entry.id) as Record<string, unknown> | undefined;
    return row === undefined ? null : toEntry(row);
  }

  /** Alarms due at `now`, earliest first. */
  due(now: number, limit = 100): AlarmEntry[] {
    return (this.#due.all(now, limit) as Record<string, unknown>[]).map(toEntry);
  }

  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }
}

function toEntry(row: Record<string, unknown>): AlarmEntry {
  return {
    scope: String(row['scope']), worker: String(row['worker']), className: String(row['class']), id: String(row['id']),
    time: Number(row['time']), retries: Number(row['retries']),
  };
}
