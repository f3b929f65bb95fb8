// Queue messages in <data>/queues.sqlite. WAL with synchronous=FULL: a send resolves only once its
// messages are on disk, as Cloudflare's send() resolves once the message is persisted. Taken messages
// keep their row with `taken = 1` until the consumer settles them, so a restart redelivers them.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { openWalDatabase } from '../open-database.js';
import type { NewMessage, QueueAddress, QueueContentType, QueueStore, StoredMessage } from './queue-store.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS queue_messages (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  scope TEXT NOT NULL,
  queue TEXT NOT NULL,
  id TEXT NOT NULL,
  content_type TEXT NOT NULL,
  body BLOB NOT NULL,
  timestamp INTEGER NOT NULL,
  visible_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  taken INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS queue_messages_ready ON queue_messages (scope, queue, taken, visible_at, seq);
CREATE UNIQUE INDEX IF NOT EXISTS queue_messages_id ON queue_messages (scope, queue, id);
`;

interface Row { id: string; content_type: string; body: Uint8Array; timestamp: number; visible_at: number; attempts: number }

export class SqliteQueueStore implements QueueStore {
  readonly path: string;
  readonly #db: DatabaseSync;
  readonly #insert: StatementSync;
  readonly #ready: StatementSync;
  readonly #markTaken: StatementSync;
  readonly #count: StatementSync;
  readonly #next: StatementSync;
  readonly #delete: StatementSync;
  readonly #retry: StatementSync;
  readonly #move: StatementSync;
  readonly #pending: StatementSync;

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true });
    this.path = join(dataDir, 'queues.sqlite');
    this.#db = openWalDatabase(this.path);
    this.#db.exec('PRAGMA synchronous = FULL');
    this.#db.exec(SCHEMA);
    this.#insert = this.#db.prepare('INSERT INTO queue_messages (scope, queue, id, content_type, body, timestamp, visible_at) VALUES (?, ?, ?, ?, ?, ?, ?)');
    this.#ready = this.#db.prepare('SELECT seq, id, content_type, body, timestamp, visible_at, attempts FROM queue_messages WHERE scope = ? AND queue = ? AND taken = 0 AND visible_at <= ? ORDER BY visible_at, seq LIMIT ?');
    this.#markTaken = this.#db.prepare('UPDATE queue_messages SET taken = 1, attempts = attempts + 1 WHERE seq = ?');
    this.#count = this.#db.prepare('SELECT COUNT(*) AS n FROM queue_messages WHERE scope = ? AND queue = ? AND taken = 0 AND visible_at <= ?');
    this.#next = this.#db.prepare('SELECT MIN(visible_at) AS t FROM queue_messages WHERE scope = ? AND queue = ? AND taken = 0');
    this.#delete = this.#db.prepare('DELETE FROM queue_messages WHERE scope = ? AND queue = ? AND id = ?');
    this.#retry = this.#db.prepare('UPDATE queue_messages SET taken = 0, visible_at = ? WHERE scope = ? AND queue = ? AND id = ?');
    this.#move = this.#db.prepare('UPDATE queue_messages SET queue = ?, taken = 0, attempts = 0, visible_at = ? WHERE scope = ? AND queue = ? AND id = ?');
    this.#pending = this.#db.prepare('SELECT scope, queue, MIN(visible_at) AS t FROM queue_messages WHERE taken = 0 GROUP BY scope, queue');
  }

  #transaction(work: () => void): void {
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      work();
      this.#db.exec('COMMIT');
    } catch (err) {
      this.#db.exec('ROLLBACK');
      throw err;
    }
  }

  sendMany(groups: readonly { address: QueueAddress; messages: readonly NewMessage[] }[]): void {
    this.#transaction(() => {
      for (const { address, messages } of groups) {
        for (const m of messages) this.#insert.run(address.scope, address.queue, m.id, m.contentType, m.body, m.timestamp, m.visibleAt);
      }
    });
  }

  take(address: QueueAddress, limit: number, now: number): StoredMessage[] {
    const taken: StoredMessage[] = [];
    this.#transaction(() => {
      const rows = this.#ready.all(address.scope, address.queue, now, limit) as unknown as (Row & { seq: number })[];
      for (const row of rows) {
        this.#markTaken.run(row.seq);
        taken.push({
          id: row.id, contentType: row.content_type as QueueContentType, body: row.body,
          timestamp: row.timestamp, visibleAt: row.visible_at, attempts: row.attempts + 1,
        });
      }
    });
    return taken;
  }

  readyCount(address: QueueAddress, now: number): number {
    return (this.#count.get(address.scope, address.queue, now) as { n: number }).n;
  }

  nextVisible(address: QueueAddress): number | null {
    return (this.#next.get(address.scope, address.queue) as { t: number | null }).t;
  }

  settle(address: QueueAddress, acked: readonly string[], retried: readonly { id: string; visibleAt: number }[]): void {
    this.#transaction(() => {
      for (const id of acked) this.#delete.run(address.scope, address.queue, id);
      for (const r of retried) this.#retry.run(r.visibleAt, address.scope, address.queue, r.id);
    });
  }

  move(from: QueueAddress, ids: readonly string[], to: string, now: number): void {
    this.#transaction(() => {
      for (const id of ids) this.#move.run(to, now, from.scope, from.queue, id);
    });
  }

  pending(): (QueueAddress & { nextVisible: number })[] {
    return (this.#pending.all() as { scope: string; queue: string; t: number }[]).map((r) => ({ scope: r.scope, queue: r.queue, nextVisible: r.t }));
  }

  releaseTaken(): void {
    this.#db.exec('UPDATE queue_messages SET taken = 0 WHERE taken = 1');
  }

  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }
}
