// Async crypto ops answer with an outcome, `[1, value]` or `[0, kind, message]`, rather than through
// the bridge's failure channel, so that a full key table can be swept and the op retried once before
// the DOMException WebCrypto names is rebuilt from its kind and message.
// @see https://w3c.github.io/webcrypto/#SubtleCrypto-Exceptions
import { ErrorKind } from '../../../shared/boundary.js';
import { hostAsync, makeError } from '../../bootstrap/host.js';
import { PromisePrototypeThen, ReflectApply } from '../../bootstrap/primordials.js';
import { sweep } from './handles.js';

const OPERATION_FAILED = 'The operation failed for an operation-specific reason.';

export function cryptoError(kind: unknown, message: unknown): Error {
  return makeError(kind, typeof message === 'string' ? message : OPERATION_FAILED);
}

/**
 * Runs one async crypto op on the host and settles with its value or its rebuilt exception. A
 * full key table is swept of collected keys and the op tried once more.
 */
export function subtleCall(op: number, args: unknown[]): Promise<unknown> {
  // Built by index: a spread would use Array.prototype[Symbol.iterator], which tenants can replace.
  const list: unknown[] = [op];
  for (let i = 0; i < args.length; i++) list[i + 1] = args[i];
  return attempt(list, false);
}

function attempt(list: unknown[], retried: boolean): Promise<unknown> {
  return PromisePrototypeThen(ReflectApply(hostAsync, undefined, list) as Promise<unknown>, (outcome) => {
    const reply = outcome as unknown[];
    if (reply[0] === 1) return reply[1];
    if (reply[1] === ErrorKind.QuotaExceededError && !retried && sweep() > 0) return attempt(list, true);
    throw cryptoError(reply[1], reply[2]);
  });
}
