// The global object as an event target, and reportError.
import { TypeErrorCtor } from '../../bootstrap/primordials.js';
import { EventTarget } from './event-target.js';
import { reportException } from './report-exception.js';

/** @see https://html.spec.whatwg.org/multipage/webappapis.html#dom-reporterror */
export function reportError(e: unknown): void {
  if (arguments.length === 0) throw new TypeErrorCtor("Failed to execute 'reportError': 1 argument required, but only 0 present.");
  reportException(e);
}

// The very functions on EventTarget.prototype, as on a browser's global object: called on the global
// object, or with no receiver, they act on the global scope's target.
export const { addEventListener, removeEventListener, dispatchEvent } = EventTarget.prototype;
