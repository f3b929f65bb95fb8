// Reporting an exception to the global scope: an "error" listener there sees what listeners throw and
// what reportError() is given, and can cancel the log line.
// @see https://html.spec.whatwg.org/multipage/webappapis.html#report-an-exception
import { ErrorCtor } from '../../bootstrap/primordials.js';
import { console } from '../console/console.js';
import { ErrorEvent } from './events.js';
import { dispatchTrusted, globalEventTarget } from './event-target.js';

let reporting = false;

/** What ErrorEvent.message says: "Uncaught " and the thrown value, guarded against throwing getters. */
function describe(error: unknown): string {
  try {
    if (error instanceof ErrorCtor) return `Uncaught ${String(error.name)}: ${String(error.message)}`;
    return `Uncaught ${String(error)}`;
  } catch {
    return 'Uncaught exception';
  }
}

export function reportException(error: unknown): void {
  // An "error" listener that throws is not reported to itself again: that would never end.
  if (!reporting) {
    reporting = true;
    let notHandled = true;
    try {
      const event = new ErrorEvent('error', { __proto__: null, cancelable: true, message: describe(error), error });
      notHandled = dispatchTrusted(globalEventTarget(), event);
    } catch {
      // Reporting must not fail the caller; the console still gets the original error.
    } finally {
      reporting = false;
    }
    if (!notHandled) return;
  }
  console.error('Uncaught', error);
}
