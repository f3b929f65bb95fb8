// The bound on one object's database. SQLite's own bound (PRAGMA max_page_count) cannot be the limit
// tenants meet: a statement that reaches it without a statement journal (a one-row INSERT, an INSERT
// ... SELECT into a table without constraints) makes SQLite roll back the whole open transaction, which
// holds every write not yet committed, other events' included (write coalescing). So the limit is kept
// one step earlier, here: a write that could cross it runs under a savepoint and is undone alone when
// it has. max_page_count stays, a margin above, for a single statement that writes more than the
// margin at once; SQLite then rolls back the batch itself, and the caller must reset the object.
// @see https://www.sqlite.org/lang_transaction.html (Response To Errors Within A Transaction)
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { StorageFullError, WritesLostError } from './object-storage.js';

const MB = 1024 * 1024;
/** The margin between the limit and SQLite's hard bound: a quarter of the limit, at least 16 MiB. */
const MARGIN_FRACTION = 4;
const MIN_MARGIN_BYTES = 16 * MB;
const SQLITE_FULL = 13;

/** What a write can add at most: its bytes of keys and values, in so many rows. */
export interface Growth { bytes: number; rows: number }

export class SizeBound {
  readonly #db: DatabaseSync;
  readonly #limitPages: number;
  readonly #pageSize: number;
  readonly #pageCount: StatementSync;
  readonly #savepoint: StatementSync;
  readonly #release: StatementSync;
  readonly #rollback: StatementSync;

  constructor(db: DatabaseSync, maxBytes: number) {
    this.#db = db;
    this.#pageSize = Number((db.prepare('PRAGMA page_size').get() as { page_size: number }).page_size);
    this.#limitPages = Math.max(1, Math.floor(maxBytes / this.#pageSize));
    const margin = Math.max(Math.ceil(maxBytes / MARGIN_FRACTION), MIN_MARGIN_BYTES);
    db.exec(`PRAGMA max_page_count = ${Math.ceil((maxBytes + margin) / this.#pageSize)}`);
    this.#pageCount = db.prepare('PRAGMA page_count');
    this.#pageCount.setReturnArrays(true);
    this.#savepoint = db.prepare('SAVEPOINT islet_bound');
    this.#release = db.prepare('RELEASE islet_bound');
    this.#rollback = db.prepare('ROLLBACK TO islet_bound');
  }

  #pages(): number {
    return Number((this.#pageCount.get() as unknown as [number])[0]);
  }

  /**
   * Runs `write` inside the open write transaction. `growth`: what it can add at most (null: unknown,
   * as for tenant SQL). One that leaves the database larger than the limit, and larger than
   * it found it (so deletes and rewrites in place still work at the limit), is undone and refused.
   */
  write<T>(growth: Growth | null, write: () => T): T {
    const before = this.#pages();
    // Far from the limit a bounded write cannot cross it: no savepoint needed.
    if (growth !== null && before + this.#worstPages(growth) <= this.#limitPages) return this.#unguarded(write);
    this.#savepoint.run();
    let result: T;
    try {
      result = write();
    } catch (err) {
      throw this.#failed(err, true);
    }
    const after = this.#pages();
    if (after > this.#limitPages && after > before) {
      this.#rollback.run();
      this.#release.run();
      throw new StorageFullError();
    }
    this.#release.run();
    return result;
  }

  #unguarded<T>(write: () => T): T {
    try {
      return write();
    } catch (err) {
      throw this.#failed(err, false);
    }
  }

  /** What a failed write becomes: the savepoint is closed, and a batch SQLite dropped is reported as lost. */
  #failed(err: unknown, guarded: boolean): unknown {
    const full = (err as { errcode?: unknown }).errcode === SQLITE_FULL;
    if (!this.#db.isTransaction) return full || !(err instanceof Error) ? new WritesLostError() : new WritesLostError(err.message);
    if (guarded) {
      // A full database keeps nothing of the write; any other error keeps what ran before it, as without the bound.
      if (full) this.#rollback.run();
      this.#release.run();
    }
    return full ? new StorageFullError() : err;
  }

  /** Pages a write can take at worst: its bytes on half-full pages, and a split on each B-tree level per row. */
  #worstPages(growth: Growth): number {
    return 2 * Math.ceil(growth.bytes / this.#pageSize) + 4 * growth.rows + 16;
  }
}
