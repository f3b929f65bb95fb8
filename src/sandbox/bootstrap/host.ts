// The runtime's only link to the host. The bridge function is taken off the global object before
// any tenant code runs and lives on in this module's closure, out of the tenant's reach.
import { BRIDGE_GLOBAL, ErrorKind, type HostReply } from '../../shared/boundary.js';
import {
  ErrorCtor, MapCtor, MapPrototypeDelete, MapPrototypeGet, MapPrototypeSet, PromiseCtor, RangeErrorCtor,
  ReflectApply, SyntaxErrorCtor, TypeErrorCtor, globalThisRef,
} from './primordials.js';
import { DOMException } from '../web/dom/dom-exception.js';

type Bridge = (op: number, ...args: unknown[]) => HostReply;

const bridge = (globalThisRef as Record<string, unknown>)[BRIDGE_GLOBAL] as Bridge;
delete (globalThisRef as Record<string, unknown>)[BRIDGE_GLOBAL];
if (typeof bridge !== 'function') throw new ErrorCtor('runtime booted without a host bridge');

/** Rebuilds a host-reported failure as the exception the spec names, from its kind and message only. */
export function makeError(kind: unknown, message: unknown): Error {
  const text = typeof message === 'string' ? message : 'Internal error';
  switch (kind) {
    case ErrorKind.TypeError: return new TypeErrorCtor(text);
    case ErrorKind.RangeError: return new RangeErrorCtor(text);
    case ErrorKind.SyntaxError: return new SyntaxErrorCtor(text);
    case ErrorKind.DataCloneError: return new DOMException(text, 'DataCloneError');
    case ErrorKind.TimeoutError: return new DOMException(text, 'TimeoutError');
    case ErrorKind.NotSupportedError: return new DOMException(text, 'NotSupportedError');
    case ErrorKind.InvalidAccessError: return new DOMException(text, 'InvalidAccessError');
    case ErrorKind.DataError: return new DOMException(text, 'DataError');
    case ErrorKind.OperationError: return new DOMException(text, 'OperationError');
    case ErrorKind.DOMSyntaxError: return new DOMException(text, 'SyntaxError');
    case ErrorKind.QuotaExceededError: return new DOMException(text, 'QuotaExceededError');
    default: return new ErrorCtor(text);
  }
}

// The argument list is built by index: spreading would go through Array.prototype[Symbol.iterator],
// which tenant code can replace.
function argumentsFor(op: number, args: unknown[], extra?: number): unknown[] {
  const list: unknown[] = [op];
  if (extra !== undefined) list[1] = extra;
  const offset = list.length;
  for (let i = 0; i < args.length; i++) list[offset + i] = args[i];
  return list;
}

/** Calls the host synchronously and unwraps its reply, throwing the reported error in-isolate. */
export function hostCall(op: number, ...args: unknown[]): unknown {
  const reply = ReflectApply(bridge, undefined, argumentsFor(op, args)) as HostReply;
  if (reply === undefined) throw new ErrorCtor('host returned no reply');
  if (reply[0] === 1) return reply[1];
  throw makeError(reply[1], reply[2]);
}

/** Fire-and-forget call (console output, timers): no reply to unwrap. */
export function hostNotify(op: number, ...args: unknown[]): void {
  ReflectApply(bridge, undefined, argumentsFor(op, args));
}

interface Pending { resolve: (v: unknown) => void; reject: (e: unknown) => void }
const pending = new MapCtor<number, Pending>();
let nextOpId = 1;

/**
 * Starts an async host operation. The host may answer at once (an embedded SQLite read), which
 * costs one crossing; otherwise it answers later through `complete`.
 */
export function hostAsync(op: number, ...args: unknown[]): Promise<unknown> {
  const opId = nextOpId++;
  let reply: HostReply;
  try {
    reply = ReflectApply(bridge, undefined, argumentsFor(op, args, opId)) as HostReply;
  } catch (err) {
    return new PromiseCtor((_, reject) => reject(err));
  }
  if (reply === undefined) {
    return new PromiseCtor((resolve, reject) => { MapPrototypeSet(pending, opId, { resolve, reject }); });
  }
  if (reply[0] === 1) {
    const value = reply[1];
    return new PromiseCtor((resolve) => resolve(value));
  }
  const error = makeError(reply[1], reply[2]);
  return new PromiseCtor((_, reject) => reject(error));
}

/** Host entry: settles a pending operation. `value` is the result, or [kind, message] on failure. */
export function complete(opId: number, ok: boolean, value: unknown): void {
  const entry = MapPrototypeGet(pending, opId);
  if (entry === undefined) return;
  MapPrototypeDelete(pending, opId);
  if (ok) entry.resolve(value);
  else {
    const [kind, message] = value as [unknown, unknown];
    entry.reject(makeError(kind, message));
  }
}
