// ctx.storage.sql: SQL over the object's own SQLite database, synchronous as on Cloudflare. The host
// runs the statements and returns every row at once; the cursor hands them out.
// @see https://developers.cloudflare.com/durable-objects/api/sqlite-storage-api/
import { Op } from '../../../shared/boundary.js';
import { hostCall } from '../../bootstrap/host.js';
import { ErrorCtor, ObjectDefineProperty, SymbolIterator } from '../../bootstrap/primordials.js';

type SqlReply = [string[], unknown[][], number, number];

function rowObject(columns: string[], row: unknown[]): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  for (let i = 0; i < columns.length; i++) {
    // defineProperty: a column named "__proto__" is a column, not the object's prototype.
    ObjectDefineProperty(object, columns[i]!, { value: row[i], writable: true, enumerable: true, configurable: true });
  }
  return object;
}

export class SqlStorageCursor {
  readonly #columns: string[];
  readonly #rows: unknown[][];
  readonly #read: number;
  readonly #written: number;
  #next = 0;

  constructor(reply: SqlReply) {
    [this.#columns, this.#rows, this.#read, this.#written] = reply;
  }

  get columnNames(): string[] { return [...this.#columns]; }
  get rowsRead(): number { return this.#read; }
  get rowsWritten(): number { return this.#written; }

  #take(): unknown[] | undefined {
    return this.#next < this.#rows.length ? this.#rows[this.#next++] : undefined;
  }

  next(): IteratorResult<Record<string, unknown>> {
    const row = this.#take();
    return row === undefined ? { done: true, value: undefined } : { done: false, value: rowObject(this.#columns, row) };
  }

  toArray(): Record<string, unknown>[] {
    const out: Record<string, unknown>[] = [];
    for (let row = this.#take(); row !== undefined; row = this.#take()) out.push(rowObject(this.#columns, row));
    return out;
  }

  one(): Record<string, unknown> {
    const remaining = this.#rows.length - this.#next;
    if (remaining === 0) throw new ErrorCtor('Expected exactly one result from SQL query, but got no results.');
    if (remaining > 1) throw new ErrorCtor('Expected exactly one result from SQL query, but got multiple results.');
    return rowObject(this.#columns, this.#take()!);
  }

  /** The rows as arrays of values, in column order. */
  raw(): IterableIterator<unknown[]> & { toArray(): unknown[][] } {
    const take = () => this.#take();
    const iterator = {
      next: (): IteratorResult<unknown[]> => {
        const row = take();
        return row === undefined ? { done: true, value: undefined } : { done: false, value: [...row] };
      },
      toArray: (): unknown[][] => {
        const out: unknown[][] = [];
        for (let row = take(); row !== undefined; row = take()) out.push([...row]);
        return out;
      },
      [SymbolIterator]() { return iterator; },
    };
    return iterator as unknown as IterableIterator<unknown[]> & { toArray(): unknown[][] };
  }

  [Symbol.iterator](): this { return this; }
}

export class SqlStorage {
  readonly #handle: number;
  constructor(handle: number) { this.#handle = handle; }

  exec(query: unknown, ...bindings: unknown[]): SqlStorageCursor {
    return new SqlStorageCursor(hostCall(Op.DoStorageSql, this.#handle, String(query), bindings) as SqlReply);
  }

  get databaseSize(): number {
    return hostCall(Op.DoStorageSize, this.#handle) as number;
  }
}
Object.defineProperty(SqlStorage.prototype, Symbol.toStringTag, { value: 'SqlStorage', configurable: true });
Object.defineProperty(SqlStorageCursor.prototype, Symbol.toStringTag, { value: 'SqlStorageCursor', configurable: true });
