// The binding operations whose counts and latencies are kept, as one table both sides of the engine
// protocol index: an engine reports a series by its position here, the supervisor names it. Only these
// fixed names ever become the `op` label, so its values are bounded whatever the worker calls.
import { Op } from '../../../shared/boundary.js';

export type OperationKind = 'kv' | 'durable_object';

export interface OperationSeries {
  kind: OperationKind;
  /** The `op` label. */
  op: string;
}

/**
 * KV's methods; then a Durable Object stub's fetch() and RPC calls, and ctx.storage's methods
 * (a transaction counts once, when it begins; an alarm's get, set and delete apart).
 * @see https://developers.cloudflare.com/kv/api/
 * @see https://developers.cloudflare.com/durable-objects/api/storage-api/
 */
export const OPERATIONS: readonly OperationSeries[] = [
  { kind: 'kv', op: 'get' },
  { kind: 'kv', op: 'put' },
  { kind: 'kv', op: 'delete' },
  { kind: 'kv', op: 'list' },
  { kind: 'durable_object', op: 'fetch' },
  { kind: 'durable_object', op: 'rpc' },
  { kind: 'durable_object', op: 'storage_get' },
  { kind: 'durable_object', op: 'storage_put' },
  { kind: 'durable_object', op: 'storage_delete' },
  { kind: 'durable_object', op: 'storage_list' },
  { kind: 'durable_object', op: 'storage_delete_all' },
  { kind: 'durable_object', op: 'storage_transaction' },
  { kind: 'durable_object', op: 'storage_get_alarm' },
  { kind: 'durable_object', op: 'storage_set_alarm' },
  { kind: 'durable_object', op: 'storage_delete_alarm' },
  { kind: 'durable_object', op: 'storage_sql' },
  { kind: 'durable_object', op: 'storage_size' },
  { kind: 'durable_object', op: 'storage_sync' },
];

/**
 * Seconds. Storage calls answered from SQLite in the same crossing take microseconds, a stub's call
 * to an object or a KV write milliseconds: fine at both ends.
 */
export const OPERATION_BUCKETS: readonly number[] = [
  0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
];

const seriesOf = (kind: OperationKind, op: string): number => OPERATIONS.findIndex((s) => s.kind === kind && s.op === op);

/** By boundary op code, for the ops whose series does not depend on their arguments. */
const BY_OP = new Map<number, number>([
  [Op.KvGet, seriesOf('kv', 'get')],
  [Op.KvPut, seriesOf('kv', 'put')],
  [Op.KvDelete, seriesOf('kv', 'delete')],
  [Op.KvList, seriesOf('kv', 'list')],
  [Op.DoFetch, seriesOf('durable_object', 'fetch')],
  [Op.DoCall, seriesOf('durable_object', 'rpc')],
  [Op.DoStorageGet, seriesOf('durable_object', 'storage_get')],
  [Op.DoStoragePut, seriesOf('durable_object', 'storage_put')],
  [Op.DoStorageDelete, seriesOf('durable_object', 'storage_delete')],
  [Op.DoStorageList, seriesOf('durable_object', 'storage_list')],
  [Op.DoStorageDeleteAll, seriesOf('durable_object', 'storage_delete_all')],
  [Op.DoStorageSql, seriesOf('durable_object', 'storage_sql')],
  [Op.DoStorageSize, seriesOf('durable_object', 'storage_size')],
  [Op.DoStorageSync, seriesOf('durable_object', 'storage_sync')],
]);
const TRANSACTION = seriesOf('durable_object', 'storage_transaction');
const ALARM = new Map<unknown, number>([
  ['get', seriesOf('durable_object', 'storage_get_alarm')],
  ['set', seriesOf('durable_object', 'storage_set_alarm')],
  ['delete', seriesOf('durable_object', 'storage_delete_alarm')],
]);

/** The series a bridge call is counted under; -1 for calls that are not counted (ids, gates). */
export function operationSeries(op: number, args: readonly unknown[]): number {
  const series = BY_OP.get(op);
  if (series !== undefined) return series;
  if (op === Op.DoStorageTxn) return args[1] === 'begin' ? TRANSACTION : -1;
  if (op === Op.DoStorageAlarm) return ALARM.get(args[1]) ?? -1;
  return -1;
}
