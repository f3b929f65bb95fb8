// Event handler IDL attributes (onabort, onmessage ...): one listener per attribute, added when the
// attribute first gets a value and kept in its place while the value changes. Interfaces define the
// attributes as accessors calling these.
// @see https://html.spec.whatwg.org/multipage/webappapis.html#event-handler-attributes
import { MapCtor, MapPrototypeGet, MapPrototypeSet, ReflectApply } from '../../bootstrap/primordials.js';
import { WeakMapCtor, WeakMapPrototypeGet, WeakMapPrototypeSet } from './builtins.js';
import { setCanceledFlag, eventState, type Event } from './event.js';
import { addListener, removeListenerFor, type EventTarget } from './event-target.js';

interface Handler { value: object | null; listener: ((event: Event) => void) | null }

const handlers = new WeakMapCtor<EventTarget, Map<string, Handler>>();

function handlerFor(target: EventTarget, type: string): Handler {
  let map = WeakMapPrototypeGet(handlers, target);
  if (map === undefined) { map = new MapCtor(); WeakMapPrototypeSet(handlers, target, map); }
  let handler = MapPrototypeGet(map, type);
  if (handler === undefined) { handler = { value: null, listener: null }; MapPrototypeSet(map, type, handler); }
  return handler;
}

/** @see https://html.spec.whatwg.org/multipage/webappapis.html#the-event-handler-processing-algorithm */
function processingAlgorithm(handler: Handler) {
  return function (this: unknown, event: Event): void {
    const callback = handler.value;
    // [LegacyTreatNonObjectAsNull]: a non-callable object is kept but calling it does nothing.
    if (typeof callback !== 'function') return;
    const result: unknown = ReflectApply(callback, this, [event]);
    if (result === false) setCanceledFlag(eventState(event, 'event handler'));
  };
}

export function getEventHandler(target: EventTarget, type: string): object | null {
  return WeakMapPrototypeGet(handlers, target) === undefined ? null : handlerFor(target, type).value;
}

export function setEventHandler(target: EventTarget, type: string, value: unknown): void {
  const handler = handlerFor(target, type);
  if (typeof value !== 'object' && typeof value !== 'function' || value === null) {
    handler.value = null;
    if (handler.listener !== null) {
      removeListenerFor(target, type, handler.listener, false);
      handler.listener = null;
    }
    return;
  }
  handler.value = value;
  if (handler.listener === null) {
    handler.listener = processingAlgorithm(handler);
    addListener(target, type, handler.listener, { capture: false, passive: false, once: false, signal: null });
  }
}
