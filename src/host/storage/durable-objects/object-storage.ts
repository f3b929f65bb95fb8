// The storage of one Durable Object: a key-value API and a SQL API over the same private database, an
// alarm time, and transactions. Every backend passes test/storage/object-storage.contract.ts.
//
// The interface is synchronous on purpose: the host answers an object's storage calls in the same
// crossing, so no other event can reach the object while one is in flight (Cloudflare's input gate)
// without the host having to track in-flight reads. Writes are applied at once, visible to later reads,
// and committed together by commit() after the isolate call that made them; sync() then waits for the
// disk off the thread, and the host holds the object's responses until it has (the output gate).

/** Values are stored as bytes of V8's serialization format (the structured clone of the value). */
export type StoredValue = Uint8Array;

/** What sql.exec can bind and return. */
export type SqlValue = null | number | bigint | string | Uint8Array;

export interface SqlResult {
  columnNames: string[];
  rows: SqlValue[][];
  rowsRead: number;
  rowsWritten: number;
}

/** Bounds are keys compared by their UTF-8 bytes; `end` is exclusive. Already validated by the binding. */
export interface StorageListOptions {
  start?: string;
  startAfter?: string;
  end?: string;
  prefix?: string;
  reverse?: boolean;
  limit?: number;
}

/** Where an object's data lives: its namespace (tenant, worker, class) and its id. */
export interface ObjectAddress {
  scope: string;
  worker: string;
  className: string;
  /** 64 hex digits. */
  id: string;
}

export class StorageError extends Error {
  override name = 'Error';
  readonly errorName: string;
  constructor(errorName: 'Error' | 'TypeError' | 'RangeError', message: string) {
    super(message);
    this.errorName = errorName;
  }
}

/**
 * A write would take the object's database past its size limit; it was undone, and what came before it
 * stands. Cloudflare's words for a SQLite-backed object at its storage limit.
 * @see https://developers.cloudflare.com/durable-objects/platform/limits/
 */
export class StorageFullError extends StorageError {
  constructor(message = 'database or disk is full: SQLITE_FULL') { super('Error', message); }
}

/**
 * SQLite rolled back every write not yet committed: the object must be reset. Full storage does it,
 * and so does the tenant's own SQL (INSERT OR ROLLBACK, RAISE(ROLLBACK, ...)), whose message is kept.
 */
export class WritesLostError extends StorageFullError {}

export interface ObjectStorage {
  /** The present keys among `keys`, in key order. */
  get(keys: readonly string[]): Map<string, StoredValue>;
  put(entries: readonly (readonly [string, StoredValue])[]): void;
  /** How many of `keys` existed. */
  delete(keys: readonly string[]): number;
  list(options: StorageListOptions): [string, StoredValue][];
  /** Every key-value pair and every SQL table; the alarm stays, as on Cloudflare. */
  deleteAll(): void;
  /** Epoch milliseconds, or null. */
  getAlarm(): number | null;
  setAlarm(time: number | null): void;
  /** Runs tenant SQL; throws StorageError for what Cloudflare refuses (reserved tables, transactions). */
  exec(query: string, bindings: readonly SqlValue[]): SqlResult;
  databaseSize(): number;
  /** transaction(): nested savepoints over the pending writes. */
  beginTransaction(): void;
  commitTransaction(): void;
  rollbackTransaction(): void;
  readonly transactionDepth: number;
  /** Writes not yet committed. */
  readonly dirty: boolean;
  /**
   * Commits every write so far, as one transaction, without waiting for the disk: from here on they
   * survive a crash of the process and discard() no longer drops them. Not while a transaction is open.
   */
  commit(): void;
  /** Commits not yet known to be on disk. */
  readonly unsynced: boolean;
  /**
   * Resolves once every commit made before the call is on disk, so it survives a power loss too. The
   * wait happens off the thread: commits made meanwhile need a sync() of their own.
   */
  sync(): Promise<void>;
  /** commit() and the wait for the disk together, synchronously. Not while a transaction is open. */
  flush(): void;
  /** Drops every write not committed yet (the object was reset before its writes were confirmed). */
  discard(): void;
  close(): void;
}

export interface ObjectStorageProvider {
  open(address: ObjectAddress): ObjectStorage;
}
