// The global scope's "unhandledrejection" event: a listener sees a promise rejection that nothing
// handled and can cancel the log line, as an "error" listener can for an exception.
// @see https://html.spec.whatwg.org/multipage/webappapis.html#unhandled-promise-rejections
//
// V8 tells the host, not the runtime, which rejections went unhandled, and only once the call that
// made them is over; what it hands over is a copy of the reason, without the promise. So the host
// calls this entry with that copy, and the event carries a promise rejected with the rebuilt reason:
// an error keeps its class (for the built-in ones), name, message and stack; a primitive is itself.
// A handler added to the original promise later is not reported either, so "rejectionhandled" is
// never fired (see docs/conformance.md).
import {
  ErrorCtor, ObjectDefineProperty, PromisePrototypeThen, PromiseReject, RangeErrorCtor, SyntaxErrorCtor, TypeErrorCtor,
} from '../../bootstrap/primordials.js';
import { dispatchTrusted, globalEventTarget } from './event-target.js';
import { PromiseRejectionEvent } from './events.js';

const ReferenceErrorCtor = ReferenceError;
const EvalErrorCtor = EvalError;
const URIErrorCtor = URIError;
const ERRORS: Record<string, new (message: string) => Error> = {
  __proto__: null as never,
  Error: ErrorCtor, TypeError: TypeErrorCtor, RangeError: RangeErrorCtor, SyntaxError: SyntaxErrorCtor,
  ReferenceError: ReferenceErrorCtor, EvalError: EvalErrorCtor, URIError: URIErrorCtor,
};
const ignore = (): void => {};

function rebuildError(name: string, message: string, stack: string): Error {
  const Ctor = ERRORS[name];
  const error = Ctor === undefined ? new ErrorCtor(message) : new Ctor(message);
  // Any other class (a DOMException, the tenant's own Error subclass) keeps at least its name.
  if (Ctor === undefined) ObjectDefineProperty(error, 'name', { value: name, writable: true, configurable: true, enumerable: false });
  if (stack !== '') ObjectDefineProperty(error, 'stack', { value: stack, writable: true, configurable: true, enumerable: false });
  return error;
}

/**
 * Host entry: dispatches "unhandledrejection" at the global scope. Returns whether the host should
 * still log the rejection, which it should unless a listener canceled the event. Never throws.
 */
export function reportRejection(isError: unknown, valueOrName: unknown, message: unknown, stack: unknown): boolean {
  try {
    const reason = isError === true
      ? rebuildError(typeof valueOrName === 'string' ? valueOrName : 'Error', typeof message === 'string' ? message : '', typeof stack === 'string' ? stack : '')
      : valueOrName;
    const promise = PromiseReject(reason);
    // Handled from the start: this stand-in must not be reported in turn.
    PromisePrototypeThen(promise, undefined, ignore);
    const event = new PromiseRejectionEvent('unhandledrejection', { __proto__: null, cancelable: true, promise, reason });
    return dispatchTrusted(globalEventTarget(), event);
  } catch {
    return true;
  }
}
