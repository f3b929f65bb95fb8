// The storage of one Durable Object: a key-value API and a SQL API over the same private database, an
// alarm time, and transactions. Every backend passes test/storage/object-storage.contract.ts.
//
// The interface is synchronous on purpose: the host answers an object's storage calls in the same
// crossing, so no other event can reach the object while one is in flight (Cloudflare's input gate)
// without the host having to track in-flight reads. Writes are applied at once, visible to later reads,
// and made durable together by flush(): the host calls it after the isolate call that made them, and
// holds the object's responses until it has returned (the output gate).

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
  /** Writes not yet made durable by flush(). */
  readonly dirty: boolean;
  /** Makes every write so far durable, as one commit. Not while a transaction is open. */
  flush(): void;
  /** Drops every write since the last flush (the object was reset before its writes were confirmed). */
  discard(): void;
  close(): void;
}

export interface ObjectStorageProvider {
  open(address: ObjectAddress): ObjectStorage;
}
