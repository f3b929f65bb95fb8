// Boundary adapter for the KV binding: turns bridge calls into KvBinding calls and results into data
// the runtime understands. The binding index is the capability: a worker can only name the namespaces
// it was granted, by position.
import { Op, type HostReply } from '../../../shared/boundary.js';
import { deferred, failFromError, ok, settle, typeError, type AsyncReply } from '../../isolates/host-ops/reply.js';
import type { KvEntry, KvListResult } from '../../storage/kv/kv-store.js';
import type { KvBinding } from './kv-binding.js';

function entryReply(asText: boolean) {
  return (entry: KvEntry | null): unknown => {
    if (entry === null) return null;
    const { value } = entry;
    const data = asText ? Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8')
      : value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength);
    return [data, entry.metadata];
  };
}

function toValueBytes(value: unknown): unknown {
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
}

/**
 * Runs one KV op. Reads answer in the same crossing; writes are deferred to after the current call
 * into the isolate, so a slow fsync never counts against the tenant's CPU time limit.
 */
export function kvOp(op: number, bindings: readonly KvBinding[], args: unknown[]): AsyncReply {
  const [, index, key, ...rest] = args;
  const binding = typeof index === 'number' ? bindings[index] : undefined;
  if (binding === undefined) return typeError('Unknown KV binding');
  switch (op) {
    case Op.KvGet: {
      const [asText, cacheTtl] = rest;
      return settle(() => binding.get(key, cacheTtl), entryReply(asText === true));
    }
    case Op.KvPut: {
      const [value, expiration, expirationTtl, metadata] = rest;
      return deferred(() => settle(() => binding.put(key, toValueBytes(value), { expiration, expirationTtl, metadata }), () => null));
    }
    case Op.KvDelete:
      return deferred(() => settle(() => binding.delete(key), () => null));
    case Op.KvList: {
      // The list call carries (prefix, limit, cursor) where others carry the key.
      const [limit, cursor] = rest;
      return settle(() => binding.list({ prefix: key, limit, cursor }), (result: KvListResult) => JSON.stringify(result));
    }
    default:
      return typeError('Unknown KV operation');
  }
}

