// @see https://html.spec.whatwg.org/multipage/structured-data.html#dom-structuredclone
// The host copies the value out and back in with V8's serializer, which implements the structured
// clone algorithm; functions and other uncloneable values raise DataCloneError.
import { Op } from '../../../shared/boundary.js';
import { hostCall } from '../../bootstrap/host.js';
import { ArrayPrototypePush, TypeErrorCtor } from '../../bootstrap/primordials.js';
import { DOMException } from '../dom/dom-exception.js';

/** The transfer list: ArrayBuffers only (there are no MessagePorts here), each once, none detached. */
function transferList(options: unknown): ArrayBuffer[] {
  if (options === undefined || options === null) return [];
  if (typeof options !== 'object') throw new TypeErrorCtor("Failed to execute 'structuredClone': The provided value is not of type 'StructuredSerializeOptions'.");
  const transfer = (options as { transfer?: unknown }).transfer;
  if (transfer === undefined) return [];
  if (typeof transfer !== 'object' || transfer === null || typeof (transfer as Iterable<unknown>)[Symbol.iterator] !== 'function') {
    throw new TypeErrorCtor("Failed to execute 'structuredClone': The provided value cannot be converted to a sequence.");
  }
  const list: ArrayBuffer[] = [];
  for (const item of transfer as Iterable<unknown>) {
    if (!(item instanceof ArrayBuffer)) throw new DOMException('Value not transferable', 'DataCloneError');
    if (list.includes(item)) throw new DOMException('ArrayBuffer at index is a duplicate of an earlier ArrayBuffer.', 'DataCloneError');
    if (item.detached) throw new DOMException('An ArrayBuffer is detached and could not be cloned.', 'DataCloneError');
    ArrayPrototypePush(list, item);
  }
  return list;
}

export function structuredClone(value: unknown, options?: unknown): unknown {
  if (arguments.length === 0) throw new TypeError("Failed to execute 'structuredClone': 1 argument required, but only 0 present.");
  const transfer = transferList(options);
  let copy: unknown;
  try {
    copy = hostCall(Op.StructuredClone, value);
  } catch (err) {
    // Copying out of the isolate fails before the host sees the value; name it as the spec does.
    if (err instanceof DOMException) throw err;
    throw new DOMException(err instanceof Error ? err.message : String(err), 'DataCloneError');
  }
  // The copy already holds the bytes; transferring leaves the originals detached, as the spec requires.
  for (const buffer of transfer) buffer.transfer();
  return copy;
}
