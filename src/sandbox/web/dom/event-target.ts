// @see https://dom.spec.whatwg.org/#interface-eventtarget
// There is no node tree here, so an event's path is its target alone: capture listeners run, then
// the others, both at AT_TARGET. Abort signals and the global scope dispatch through the same code,
// so it uses captured built-ins only.
import {
  ArrayPrototypePush, ArrayPrototypeSlice, ArrayPrototypeSplice, ObjectDefineProperty, ReflectApply, SymbolToStringTag,
  TypeErrorCtor, globalThisRef,
} from '../../bootstrap/primordials.js';
import { ArrayPrototypeIndexOf } from './builtins.js';
import { DOMException } from './dom-exception.js';
import { AT_TARGET, NONE, eventState, type Event, type EventState } from './event.js';
import { reportException } from './report-exception.js';
import { requireArguments, toDOMString } from './webidl.js';

interface Listener {
  type: string;
  callback: object;
  capture: boolean;
  passive: boolean;
  once: boolean;
  signal: object | null;
  removed: boolean;
}

/**
 * What addEventListener needs of an AbortSignal. abort.ts fills it in: AbortSignal extends
 * EventTarget, so this module cannot import it.
 */
export interface SignalSupport {
  isSignal(value: unknown): boolean;
  aborted(signal: object): boolean;
  onAbort(signal: object, algorithm: () => void): void;
}
export const signalSupport: { current: SignalSupport | null } = { current: null };

let listenersOf: (target: EventTarget) => Listener[];
let faceOf: (target: EventTarget) => object;
let isTarget: (value: object) => value is EventTarget;
let hookOf: (target: EventTarget) => ((type: string) => void) | null;
let setHook: (target: EventTarget, hook: (type: string) => void) => void;
let makeGlobalTarget: () => EventTarget;
let globalTarget: EventTarget | null = null;
/** The target behind the global object's addEventListener, removeEventListener and dispatchEvent. */
export function globalEventTarget(): EventTarget { return globalTarget ??= makeGlobalTarget(); }

/** The event target a method was called on: the global scope's for the global object itself. */
function resolve(self: unknown, method: string): EventTarget {
  if (self === undefined || self === null || self === globalThisRef) return globalEventTarget();
  if ((typeof self === 'object' || typeof self === 'function') && isTarget(self)) return self;
  throw new TypeErrorCtor(`Failed to execute '${method}' on 'EventTarget': Illegal invocation`);
}

/** @see https://dom.spec.whatwg.org/#event-flatten-more */
function flatten(options: unknown): { capture: boolean; passive: boolean; once: boolean; signal: object | null } {
  if (typeof options !== 'object' && typeof options !== 'function' || options === null) {
    return { capture: !!options, passive: false, once: false, signal: null };
  }
  const dict = options as Record<string, unknown>;
  const capture = !!dict.capture;
  const once = !!dict.once;
  const passive = !!dict.passive;
  const signal = dict.signal;
  if (signal !== undefined && (signalSupport.current === null || !signalSupport.current.isSignal(signal))) {
    throw new TypeErrorCtor("Failed to execute 'addEventListener' on 'EventTarget': member signal is not of type AbortSignal.");
  }
  return { capture, passive, once, signal: (signal as object | undefined) ?? null };
}

function checkCallback(callback: unknown, method: string): object | null {
  if (callback === undefined || callback === null) return null;
  if (typeof callback !== 'object' && typeof callback !== 'function') {
    throw new TypeErrorCtor(`Failed to execute '${method}' on 'EventTarget': The callback provided as parameter 2 is not an object.`);
  }
  return callback;
}

/** @see https://dom.spec.whatwg.org/#remove-an-event-listener */
function removeListener(target: EventTarget, listener: Listener): void {
  listener.removed = true;
  const list = listenersOf(target);
  const index = ArrayPrototypeIndexOf(list, listener);
  if (index !== -1) ArrayPrototypeSplice(list, index, 1);
}

/** @see https://dom.spec.whatwg.org/#add-an-event-listener */
export function addListener(target: EventTarget, type: string, callback: object, options: ReturnType<typeof flatten>): void {
  const signals = signalSupport.current;
  if (options.signal !== null && signals!.aborted(options.signal)) return;
  const list = listenersOf(target);
  for (let i = 0; i < list.length; i++) {
    const l = list[i]!;
    if (l.type === type && l.callback === callback && l.capture === options.capture) return;
  }
  const listener: Listener = { type, callback, capture: options.capture, passive: options.passive, once: options.once, signal: options.signal, removed: false };
  ArrayPrototypePush(list, listener);
  if (options.signal !== null) signals!.onAbort(options.signal, () => removeListener(target, listener));
  const hook = hookOf(target);
  if (hook !== null) hook(type);
}

export function removeListenerFor(target: EventTarget, type: string, callback: object, capture: boolean): void {
  const list = listenersOf(target);
  for (let i = 0; i < list.length; i++) {
    const l = list[i]!;
    if (l.type === type && l.callback === callback && l.capture === capture) { removeListener(target, l); return; }
  }
}

function callListener(listener: Listener, event: Event, state: EventState): void {
  const callback = listener.callback;
  try {
    if (typeof callback === 'function') {
      ReflectApply(callback, state.currentTarget, [event]);
    } else {
      const handleEvent = (callback as { handleEvent?: unknown }).handleEvent;
      if (typeof handleEvent !== 'function') throw new TypeErrorCtor("The provided callback is not a function and has no callable 'handleEvent' property.");
      ReflectApply(handleEvent, callback, [event]);
    }
  } catch (error) {
    reportException(error);
  }
}

/** @see https://dom.spec.whatwg.org/#concept-event-listener-inner-invoke */
function invoke(target: EventTarget, event: Event, state: EventState, capturing: boolean): void {
  if (state.stopPropagation) return;
  state.currentTarget = faceOf(target);
  // A copy: listeners added during dispatch do not run, removed ones are skipped by their flag.
  const listeners = ArrayPrototypeSlice(listenersOf(target));
  for (let i = 0; i < listeners.length; i++) {
    const listener = listeners[i]!;
    if (listener.removed || listener.type !== state.type || listener.capture !== capturing) continue;
    if (listener.once) removeListener(target, listener);
    if (listener.passive) state.inPassiveListener = true;
    callListener(listener, event, state);
    state.inPassiveListener = false;
    if (state.stopImmediatePropagation) break;
  }
}

/** @see https://dom.spec.whatwg.org/#concept-event-dispatch */
function dispatch(target: EventTarget, event: Event, state: EventState): boolean {
  state.dispatching = true;
  state.target = faceOf(target);
  state.phase = AT_TARGET;
  invoke(target, event, state, true);
  invoke(target, event, state, false);
  state.phase = NONE;
  state.currentTarget = null;
  state.dispatching = false;
  state.stopPropagation = false;
  state.stopImmediatePropagation = false;
  return !state.canceled;
}

/** Fires an event the platform creates: isTrusted, and never already being dispatched. */
export function dispatchTrusted(target: EventTarget, event: Event): boolean {
  const state = eventState(event, 'dispatch');
  state.isTrusted = true;
  return dispatch(target, event, state);
}

/** Lets a subclass learn that a listener was added, e.g. to keep itself reachable while it has one. */
export function setListenerHook(target: EventTarget, hook: (type: string) => void): void { setHook(target, hook); }

export class EventTarget {
  static {
    listenersOf = (target) => target.#listeners;
    faceOf = (target) => target.#face;
    isTarget = (value): value is EventTarget => #listeners in value;
    hookOf = (target) => target.#hook;
    setHook = (target, hook) => { target.#hook = hook; };
    // `this`, not the class's own name: a class that names itself is renamed by the bundler (EventTarget.name would change).
    makeGlobalTarget = () => {
      const target = new this();
      target.#face = globalThisRef;
      return target;
    };
  }
  readonly #listeners: Listener[] = [];
  // What event.target and currentTarget show: the global object, for the global scope's target.
  #face: object = this;
  #hook: ((type: string) => void) | null = null;

  addEventListener(type: unknown, callback: unknown, options: unknown = undefined): void {
    const target = resolve(this, 'addEventListener');
    requireArguments(arguments.length, 2, "Failed to execute 'addEventListener' on 'EventTarget'");
    const name = toDOMString(type);
    const listener = checkCallback(callback, 'addEventListener');
    const flags = flatten(options);
    if (listener === null) return;
    addListener(target, name, listener, flags);
  }

  removeEventListener(type: unknown, callback: unknown, options: unknown = undefined): void {
    const target = resolve(this, 'removeEventListener');
    requireArguments(arguments.length, 2, "Failed to execute 'removeEventListener' on 'EventTarget'");
    const name = toDOMString(type);
    const listener = checkCallback(callback, 'removeEventListener');
    const capture = (typeof options === 'object' || typeof options === 'function') && options !== null
      ? !!(options as { capture?: unknown }).capture : !!options;
    if (listener !== null) removeListenerFor(target, name, listener, capture);
  }

  dispatchEvent(event: unknown): boolean {
    const target = resolve(this, 'dispatchEvent');
    requireArguments(arguments.length, 1, "Failed to execute 'dispatchEvent' on 'EventTarget'");
    const state = eventState(event, "Failed to execute 'dispatchEvent' on 'EventTarget'");
    if (state.dispatching || !state.initialized) {
      throw new DOMException("Failed to execute 'dispatchEvent' on 'EventTarget': The event is already being dispatched.", 'InvalidStateError');
    }
    state.isTrusted = false;
    return dispatch(target, event as Event, state);
  }
}
ObjectDefineProperty(EventTarget.prototype, SymbolToStringTag, { value: 'EventTarget', configurable: true });
