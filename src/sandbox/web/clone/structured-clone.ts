// @see https://html.spec.whatwg.org/multipage/structured-data.html#dom-structuredclone
// The host copies the value out and back in with V8's serializer, which implements the structured
// clone algorithm; functions and other uncloneable values raise DataCloneError.
import { Op } from '../../../shared/boundary.js';
import { hostCall } from '../../bootstrap/host.js';
import { DOMException } from '../dom/dom-exception.js';

export function structuredClone(value: unknown, _options?: unknown): unknown {
  if (arguments.length === 0) throw new TypeError("Failed to execute 'structuredClone': 1 argument required, but only 0 present.");
  try {
    return hostCall(Op.StructuredClone, value);
  } catch (err) {
    // Copying out of the isolate fails before the host sees the value; name it as the spec does.
    if (err instanceof DOMException) throw err;
    throw new DOMException(err instanceof Error ? err.message : String(err), 'DataCloneError');
  }
}
