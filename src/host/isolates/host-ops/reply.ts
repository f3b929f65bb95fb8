// Building bridge replies. The host never throws into an isolate: a failure travels as a kind and a
// message, and the runtime builds the exception itself, so no host stack or object leaks in.
import { ErrorKind, type ErrorKindCode, type HostReply } from '../../../shared/boundary.js';

export const ok = (value: unknown): HostReply => [1, value];
export const fail = (kind: ErrorKindCode, message: string): HostReply => [0, kind, message];
export const typeError = (message: string): HostReply => fail(ErrorKind.TypeError, message);

/** A host-side exception turned into a reply; only the message crosses, never the stack. */
export function failFromError(err: unknown): HostReply {
  if (err instanceof Error) {
    const name = (err as { errorName?: string }).errorName ?? err.name;
    const kind = name === 'TypeError' ? ErrorKind.TypeError : name === 'RangeError' ? ErrorKind.RangeError : ErrorKind.Error;
    return fail(kind, err.message);
  }
  return fail(ErrorKind.Error, 'Internal error');
}

/** A reply now, or later for an operation that waits on I/O. */
export type AsyncReply = HostReply | Promise<HostReply>;

/** Runs a binding call and maps its result (at once or when it settles) to a reply; its errors become failures. */
export function settle<T>(work: () => T | Promise<T>, map: (value: T) => unknown): AsyncReply {
  try {
    const result = work();
    if (result instanceof Promise) return result.then((v) => ok(map(v)), failFromError);
    return ok(map(result));
  } catch (err) {
    return failFromError(err);
  }
}

/**
 * Runs `work` after the current call into the isolate has returned: a write (and its fsync) then never
 * counts against the tenant's CPU time or delays the response it is about to send.
 */
export function deferred(work: () => AsyncReply): Promise<HostReply> {
  return new Promise((resolve) => setImmediate(() => resolve(work())));
}
