// ctx.storage's calls, answered from the object's ObjectStorage in the same crossing (the input gate
// needs nothing more: no other event can run while the isolate is in this call). Writes are applied at
// once and made durable after the call by the LiveObject (write coalescing, output gate).
// @see https://developers.cloudflare.com/durable-objects/api/storage-api/
import { Op, type HostReply } from '../../../shared/boundary.js';
import { failFromError, ok, typeError } from '../../isolates/host-ops/reply.js';
import type { RequestContext } from '../../isolates/request-context.js';
import { StorageError, WritesLostError, type SqlValue } from '../../storage/durable-objects/object-storage.js';
import type { LiveObject } from './live-object.js';
import { OBJECT_RESET } from './object-errors.js';
import { MAX_KEYS, checkKey, checkKeys, checkListOptions, decodeValue, encodeValue } from './storage-limits.js';

/** Cloudflare's limit on bound parameters per query; SQLite enforces it too, this answers first. */
const MAX_BINDINGS = 100;

function flatEntries(entries: Iterable<[string, Uint8Array]>): unknown[] {
  const flat: unknown[] = [];
  for (const [key, bytes] of entries) flat.push(key, decodeValue(bytes));
  return flat;
}

function sqlBinding(value: unknown): SqlValue {
  if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  throw new StorageError('TypeError', `Unsupported type of SQL binding: ${value === undefined ? 'undefined' : typeof value}`);
}

/** BLOBs go back as ArrayBuffers, as Cloudflare's cursor gives them. */
function sqlOut(value: SqlValue): unknown {
  if (value instanceof Uint8Array) return value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength);
  if (typeof value === 'bigint') return Number(value);
  return value;
}

export function storageOp(op: number, live: LiveObject, args: unknown[], ctx: RequestContext | null): HostReply | Promise<HostReply> {
  try {
    const storage = live.storage();
    switch (op) {
      case Op.DoStorageGet:
        return ok(flatEntries(storage.get(checkKeys(args[1]))));
      case Op.DoStoragePut: {
        const flat = args[1];
        if (!Array.isArray(flat) || flat.length % 2 !== 0) return typeError('put() needs a key and a value, or an object of entries.');
        if (flat.length / 2 > MAX_KEYS) throw new StorageError('RangeError', `Maximum number of keys is ${MAX_KEYS}. ${flat.length / 2} keys were provided.`);
        const entries: [string, Uint8Array][] = [];
        for (let i = 0; i < flat.length; i += 2) entries.push([checkKey(flat[i]), encodeValue(flat[i + 1])]);
        storage.put(entries);
        live.wrote();
        return ok(null);
      }
      case Op.DoStorageDelete: {
        const deleted = storage.delete(checkKeys(args[1]));
        live.wrote();
        return ok(deleted);
      }
      case Op.DoStorageList: {
        const entries = storage.list(checkListOptions(args.slice(1)));
        return ok(flatEntries(entries));
      }
      case Op.DoStorageDeleteAll:
        storage.deleteAll();
        live.wrote();
        return ok(null);
      case Op.DoStorageTxn: {
        if (ctx === null) return typeError('A transaction is only possible while the object handles an event.');
        const action = args[1];
        if (action === 'begin') { storage.beginTransaction(); live.gate(ctx, true); }
        else if (action === 'commit' || action === 'rollback') {
          if (storage.transactionDepth === 0) return typeError('No transaction is open.');
          if (action === 'commit') storage.commitTransaction();
          else storage.rollbackTransaction();
          live.gate(ctx, false);
          live.wrote();
        } else return typeError('Unknown transaction action.');
        return ok(null);
      }
      case Op.DoStorageAlarm: {
        const [, action, time] = args;
        if (action === 'get') return ok(storage.getAlarm());
        if (action === 'delete') { storage.setAlarm(null); live.wrote(true); return ok(null); }
        if (action !== 'set' || typeof time !== 'number' || !Number.isFinite(time)) return typeError('setAlarm() needs a Date or a number of milliseconds since the epoch.');
        storage.setAlarm(Math.floor(time));
        live.wrote(true);
        return ok(null);
      }
      case Op.DoStorageSql: {
        const [, query, bindings] = args;
        if (typeof query !== 'string') return typeError('sql.exec() needs a query string.');
        if (!Array.isArray(bindings)) return typeError('Invalid SQL bindings.');
        if (bindings.length > MAX_BINDINGS) throw new StorageError('Error', `too many SQL variables: at most ${MAX_BINDINGS} bindings per query.`);
        const result = storage.exec(query, bindings.map(sqlBinding));
        live.wrote();
        return ok([result.columnNames, result.rows.map((row) => row.map(sqlOut)), result.rowsRead, result.rowsWritten]);
      }
      case Op.DoStorageSize:
        return ok(storage.databaseSize());
      case Op.DoStorageSync:
        return live.synced().then(() => ok(null), failFromError);
      default:
        return typeError(`Unknown Durable Object operation ${String(op)}`);
    }
  } catch (err) {
    // The caller still gets SQLite's error; the object's other writes went with it, so the object goes too.
    if (err instanceof WritesLostError) live.resetInstance(OBJECT_RESET);
    return failFromError(err);
  }
}
