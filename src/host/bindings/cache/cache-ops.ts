// Boundary adapter for the Cache API: turns bridge calls into CacheBinding calls and results into data
// the runtime understands. Lookups answer in the same crossing; writes are deferred to after the current
// call into the isolate (as KV's are), so storing never delays the tenant's response or counts
// against its CPU time.
import { Op, type HostReply } from '../../../shared/boundary.js';
import { deferred, failFromError, ok, settle, typeError, type AsyncReply } from '../../isolates/host-ops/reply.js';
import type { CacheAnswer } from './cache-answer.js';
import type { CacheBinding } from './cache-binding.js';
import { encodeHeaderBlock } from './cache-input.js';




/** [status, statusText, headers, body]: isolated-vm copies a whole ArrayBuffer, so it gets exactly the body's bytes. */
function answerReply(answer: CacheAnswer | null): unknown {
  if (answer === null) return null;
  const { body } = answer;
  const bytes = body === null ? null : body.byteOffset === 0 && body.byteLength === body.buffer.byteLength ? body.buffer
    : body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength);
  return [answer.status, answer.statusText, encodeHeaderBlock(answer.headers), bytes];
}

/**
 * Runs one Cache API op. `binding` is null when the host gives this worker no cache (an embedder that
 * did not configure one): the cache then stores nothing, as Cloudflare's does where it is unavailable.
 */
export function cacheOp(op: number, binding: CacheBinding | null, args: unknown[]): AsyncReply {
  const [, cacheName, url, ...rest] = args;
  switch (op) {
    case Op.CacheMatch:
      if (binding === null) return ok(null);
      return settle(() => binding.match(cacheName, url, rest), answerReply);
    case Op.CachePut: {
      if (binding === null) return ok(null);
      const [status, statusText, headers, body] = rest;
      return deferred(() => settle(() => binding.put(cacheName, url, status, statusText, headers, body), () => null));
    }
    case Op.CacheDelete:
      if (binding === null) return ok(false);
      return settle(() => binding.delete(cacheName, url), (deleted) => deleted);
    default:
      return typeError('Unknown Cache operation');
  }
}
