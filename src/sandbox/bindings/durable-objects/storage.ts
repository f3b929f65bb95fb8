// ctx.storage: the object's key-value API, its alarm and its SQL API. The host answers each call in the
// same crossing (so no other event reaches the object meanwhile: the input gate) and makes the writes
// durable after the call, before anything the object sends out is released (the output gate).
// @see https://developers.cloudflare.com/durable-objects/api/storage-api/
import { Op } from '../../../shared/boundary.js';
import { hostAsync, hostCall } from '../../bootstrap/host.js';
import {
  ArrayIsArray, ArrayPrototypePush, MapCtor, MapPrototypeSet, ObjectKeys, TypeErrorCtor,
} from '../../bootstrap/primordials.js';
import { SqlStorage } from './sql-storage.js';

interface AlarmOwner { hasAlarmHandler(): boolean }

function toMap(flat: unknown[]): Map<string, unknown> {
  const map = new MapCtor<string, unknown>();
  for (let i = 0; i < flat.length; i += 2) MapPrototypeSet(map, flat[i] as string, flat[i + 1]);
  return map;
}

function keyList(keys: unknown[]): string[] {
  const list: string[] = [];
  for (let i = 0; i < keys.length; i++) ArrayPrototypePush(list, String(keys[i]));
  return list;
}

function alarmTime(time: unknown): number {
  if (time instanceof Date) return time.getTime();
  if (typeof time === 'number') return time;
  throw new TypeErrorCtor("Failed to execute 'setAlarm' on 'DurableObjectStorage': parameter 1 is not of type 'Date or number'.");
}

/** The calls a transaction and the storage share. */
class StorageCalls {
  protected readonly handle: number;
  readonly #owner: AlarmOwner;

  constructor(handle: number, owner: AlarmOwner) {
    this.handle = handle;
    this.#owner = owner;
  }

  async get(keys: unknown, _options?: unknown): Promise<unknown> {
    if (ArrayIsArray(keys)) return toMap(hostCall(Op.DoStorageGet, this.handle, keyList(keys)) as unknown[]);
    const flat = hostCall(Op.DoStorageGet, this.handle, [String(keys)]) as unknown[];
    return flat.length === 0 ? undefined : flat[1];
  }

  async put(keyOrEntries: unknown, value?: unknown, _options?: unknown): Promise<void> {
    const flat: unknown[] = [];
    if (typeof keyOrEntries === 'object' && keyOrEntries !== null && !ArrayIsArray(keyOrEntries)) {
      const entries = keyOrEntries as Record<string, unknown>;
      const names = ObjectKeys(entries);
      for (let i = 0; i < names.length; i++) ArrayPrototypePush(flat, names[i], entries[names[i]!]);
    } else {
      if (arguments.length < 2) throw new TypeErrorCtor("Failed to execute 'put' on 'DurableObjectStorage': parameter 2 is required.");
      ArrayPrototypePush(flat, String(keyOrEntries), value);
    }
    hostCall(Op.DoStoragePut, this.handle, flat);
  }

  async delete(keys: unknown, _options?: unknown): Promise<boolean | number> {
    if (ArrayIsArray(keys)) return hostCall(Op.DoStorageDelete, this.handle, keyList(keys)) as number;
    return (hostCall(Op.DoStorageDelete, this.handle, [String(keys)]) as number) > 0;
  }

  async list(options?: unknown): Promise<Map<string, unknown>> {
    const o = (options ?? {}) as { start?: unknown; startAfter?: unknown; end?: unknown; prefix?: unknown; reverse?: unknown; limit?: unknown };
    if (typeof o !== 'object') throw new TypeErrorCtor('list() options must be an object.');
    return toMap(hostCall(Op.DoStorageList, this.handle, o.start, o.startAfter, o.end, o.prefix, o.reverse === true, o.limit) as unknown[]);
  }

  async getAlarm(_options?: unknown): Promise<number | null> {
    return hostCall(Op.DoStorageAlarm, this.handle, 'get', null) as number | null;
  }

  async setAlarm(scheduledTime: unknown, _options?: unknown): Promise<void> {
    if (!this.#owner.hasAlarmHandler()) throw new TypeErrorCtor('Your Durable Object class must have an alarm() handler in order to call setAlarm()');
    // A time in the past fires at once, as on Cloudflare.
    hostCall(Op.DoStorageAlarm, this.handle, 'set', alarmTime(scheduledTime));
  }

  async deleteAlarm(_options?: unknown): Promise<void> {
    hostCall(Op.DoStorageAlarm, this.handle, 'delete', null);
  }
}

export class DurableObjectTransaction extends StorageCalls {
  #rolledBack = false;
  get rolledBack(): boolean { return this.#rolledBack; }
  /** The transaction's writes are dropped when its closure returns. */
  rollback(): void { this.#rolledBack = true; }
}

export class DurableObjectStorage extends StorageCalls {
  readonly sql: SqlStorage;
  readonly #owner: AlarmOwner;

  constructor(handle: number, owner: AlarmOwner) {
    super(handle, owner);
    this.#owner = owner;
    this.sql = new SqlStorage(handle);
  }

  async deleteAll(_options?: unknown): Promise<void> {
    hostCall(Op.DoStorageDeleteAll, this.handle);
  }

  /** Runs `closure` with no other event reaching the object; a throw or rollback() undoes its writes. */
  async transaction<T>(closure: (txn: DurableObjectTransaction) => T | Promise<T>): Promise<T> {
    if (typeof closure !== 'function') throw new TypeErrorCtor('transaction() needs a function.');
    hostCall(Op.DoStorageTxn, this.handle, 'begin');
    const txn = new DurableObjectTransaction(this.handle, this.#owner);
    let result: T;
    try {
      result = await closure(txn);
    } catch (err) {
      hostCall(Op.DoStorageTxn, this.handle, 'rollback');
      throw err;
    }
    hostCall(Op.DoStorageTxn, this.handle, txn.rolledBack ? 'rollback' : 'commit');
    return result;
  }

  /** The synchronous form for SQLite-backed objects. */
  transactionSync<T>(closure: () => T): T {
    if (typeof closure !== 'function') throw new TypeErrorCtor('transactionSync() needs a function.');
    hostCall(Op.DoStorageTxn, this.handle, 'begin');
    let result: T;
    try {
      result = closure();
    } catch (err) {
      hostCall(Op.DoStorageTxn, this.handle, 'rollback');
      throw err;
    }
    hostCall(Op.DoStorageTxn, this.handle, 'commit');
    return result;
  }

  /** Resolves once every write made so far is durable. */
  async sync(): Promise<void> {
    await hostAsync(Op.DoStorageSync, this.handle);
  }
}
Object.defineProperty(DurableObjectStorage.prototype, Symbol.toStringTag, { value: 'DurableObjectStorage', configurable: true });
