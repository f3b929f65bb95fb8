// @see https://dom.spec.whatwg.org/#aborting-ongoing-activities
// A signal made by AbortSignal.any() follows its sources, which hold it only weakly: a per-request
// dependent of a long-lived signal must not stay reachable from it forever. It is held strongly
// once something listens to it, as the spec's garbage-collection rules require.
import {
  ArrayPrototypePush, ArrayPrototypeSplice, ObjectDefineProperty, SymbolToStringTag, TypeErrorCtor,
} from '../../bootstrap/primordials.js';
import { setTimeout } from '../timers/timers.js';
import { ArrayPrototypeIndexOf, WeakRefCtor, WeakRefPrototypeDeref } from './builtins.js';
import { DOMException } from './dom-exception.js';
import { Event } from './event.js';
import { getEventHandler, setEventHandler } from './event-handler.js';
import { EventTarget, dispatchTrusted, setListenerHook, signalSupport } from './event-target.js';
import { isIterableObject, toEnforcedUnsignedLongLong } from './webidl.js';

let constructing = false;
let isSignal: (value: unknown) => value is AbortSignal;
let abortedOf: (signal: AbortSignal) => boolean;
let abortSignal: (signal: AbortSignal, reason: unknown) => void;
let addAlgorithm: (signal: AbortSignal, algorithm: () => void) => void;
let dependentOn: (signals: AbortSignal[]) => AbortSignal;

function newSignal(): AbortSignal {
  constructing = true;
  try { return new AbortSignal(); } finally { constructing = false; }
}

export class AbortSignal extends EventTarget {
  #aborted = false;
  #reason: unknown = undefined;
  #algorithms: (() => void)[] = [];
  #dependent = false;
  #sources: AbortSignal[] = [];
  #dependents: WeakRef<AbortSignal>[] = [];
  #pruneAt = 16;
  // Dependents that something listens to, so that they outlive every other reference to them.
  #held: AbortSignal[] = [];
  #isHeld = false;

  static {
    isSignal = (value): value is AbortSignal => typeof value === 'object' && value !== null && #aborted in value;
    abortedOf = (signal) => signal.#aborted;
    abortSignal = (signal, reason) => signal.#abort(reason);
    addAlgorithm = (signal, algorithm) => {
      if (signal.#aborted) return;
      ArrayPrototypePush(signal.#algorithms, algorithm);
      signal.#hold();
    };
    // `this`, not AbortSignal: a class that names itself in its body gets renamed when bundled.
    dependentOn = (signals) => this.#dependentOn(signals);
  }

  constructor() {
    if (!constructing) throw new TypeErrorCtor("Failed to construct 'AbortSignal': Illegal constructor");
    super();
  }

  /** @see https://dom.spec.whatwg.org/#dom-abortsignal-abort */
  static abort(reason: unknown = undefined): AbortSignal {
    const signal = newSignal();
    signal.#aborted = true;
    signal.#reason = reason === undefined ? defaultReason() : reason;
    return signal;
  }

  /** @see https://dom.spec.whatwg.org/#dom-abortsignal-timeout */
  static timeout(milliseconds: unknown): AbortSignal {
    if (arguments.length === 0) throw new TypeErrorCtor("Failed to execute 'timeout' on 'AbortSignal': 1 argument required, but only 0 present.");
    const ms = toEnforcedUnsignedLongLong(milliseconds, "Failed to execute 'timeout' on 'AbortSignal'");
    const signal = newSignal();
    setTimeout(() => signal.#abort(new DOMException('signal timed out', 'TimeoutError')), ms);
    return signal;
  }

  /** @see https://dom.spec.whatwg.org/#dom-abortsignal-any */
  static any(signals: unknown): AbortSignal {
    const context = "Failed to execute 'any' on 'AbortSignal'";
    if (arguments.length === 0) throw new TypeErrorCtor(`${context}: 1 argument required, but only 0 present.`);
    if (!isIterableObject(signals)) {
      throw new TypeErrorCtor(`${context}: The provided value cannot be converted to a sequence.`);
    }
    const list: AbortSignal[] = [];
    for (const signal of signals as Iterable<unknown>) {
      if (!isSignal(signal)) throw new TypeErrorCtor(`${context}: Failed to convert value to 'AbortSignal'.`);
      ArrayPrototypePush(list, signal);
    }
    return dependentOn(list);
  }

  get aborted(): boolean { return this.#aborted; }
  get reason(): unknown { return this.#reason; }
  throwIfAborted(): void {
    if (this.#aborted) throw this.#reason;
  }
  get onabort(): unknown { return getEventHandler(this.#branded(), 'abort'); }
  set onabort(value: unknown) { setEventHandler(this.#branded(), 'abort', value); }
  /** Throws, as any private member does, when `this` is not an AbortSignal. */
  #branded(): this { return this; }

  /** @see https://dom.spec.whatwg.org/#create-a-dependent-abort-signal */
  static #dependentOn(signals: AbortSignal[]): AbortSignal {
    const result = newSignal();
    for (let i = 0; i < signals.length; i++) {
      const signal = signals[i]!;
      if (signal.#aborted) {
        result.#aborted = true;
        result.#reason = signal.#reason;
        return result;
      }
    }
    result.#dependent = true;
    for (let i = 0; i < signals.length; i++) {
      const signal = signals[i]!;
      if (!signal.#dependent) result.#follow(signal);
      else for (let j = 0; j < signal.#sources.length; j++) result.#follow(signal.#sources[j]!);
    }
    setListenerHook(result, (type) => { if (type === 'abort') result.#hold(); });
    return result;
  }

  #follow(source: AbortSignal): void {
    for (let i = 0; i < this.#sources.length; i++) if (this.#sources[i] === source) return;
    ArrayPrototypePush(this.#sources, source);
    if (source.#dependents.length >= source.#pruneAt) {
      const live: WeakRef<AbortSignal>[] = [];
      for (let i = 0; i < source.#dependents.length; i++) {
        const ref = source.#dependents[i]!;
        if (WeakRefPrototypeDeref(ref) !== undefined) ArrayPrototypePush(live, ref);
      }
      source.#dependents = live;
      source.#pruneAt = live.length * 2 > 16 ? live.length * 2 : 16;
    }
    ArrayPrototypePush(source.#dependents, new WeakRefCtor(this));
  }

  #hold(): void {
    if (!this.#dependent || this.#isHeld || this.#aborted) return;
    this.#isHeld = true;
    for (let i = 0; i < this.#sources.length; i++) ArrayPrototypePush(this.#sources[i]!.#held, this);
  }

  /** @see https://dom.spec.whatwg.org/#abortsignal-signal-abort */
  #abort(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason === undefined ? defaultReason() : reason;
    const toAbort: AbortSignal[] = [];
    const dependents = this.#dependents;
    for (let i = 0; i < dependents.length; i++) {
      const dependent = WeakRefPrototypeDeref(dependents[i]!);
      if (dependent === undefined || dependent.#aborted) continue;
      dependent.#aborted = true;
      dependent.#reason = this.#reason;
      ArrayPrototypePush(toAbort, dependent);
    }
    // Nothing can abort twice, so nothing needs to be followed or held any more.
    this.#dependents = [];
    this.#held = [];
    this.#runAbortSteps();
    for (let i = 0; i < toAbort.length; i++) toAbort[i]!.#runAbortSteps();
  }

  /** @see https://dom.spec.whatwg.org/#run-the-abort-steps */
  #runAbortSteps(): void {
    const algorithms = this.#algorithms;
    this.#algorithms = [];
    if (this.#isHeld) {
      for (let i = 0; i < this.#sources.length; i++) {
        const held = this.#sources[i]!.#held;
        const index = ArrayPrototypeIndexOf(held, this);
        if (index !== -1) ArrayPrototypeSplice(held, index, 1);
      }
    }
    this.#sources = [];
    for (let i = 0; i < algorithms.length; i++) algorithms[i]!();
    dispatchTrusted(this, new Event('abort'));
  }
}
ObjectDefineProperty(AbortSignal.prototype, SymbolToStringTag, { value: 'AbortSignal', configurable: true });

function defaultReason(): DOMException {
  return new DOMException('signal is aborted without reason', 'AbortError');
}

/** @see https://dom.spec.whatwg.org/#interface-abortcontroller */
export class AbortController {
  readonly #signal: AbortSignal = newSignal();
  get signal(): AbortSignal { return this.#signal; }
  abort(reason: unknown = undefined): void { abortSignal(this.#signal, reason); }
}
ObjectDefineProperty(AbortController.prototype, SymbolToStringTag, { value: 'AbortController', configurable: true });

signalSupport.current = {
  isSignal: (value) => isSignal(value),
  aborted: (signal) => abortedOf(signal as AbortSignal),
  onAbort: (signal, algorithm) => addAlgorithm(signal as AbortSignal, algorithm),
};

export function isAbortSignal(value: unknown): value is AbortSignal { return isSignal(value); }
/** A signal that follows these, as Request's signal follows the one it was given. */
export function createDependentSignal(signals: AbortSignal[]): AbortSignal { return dependentOn(signals); }
/** A signal nothing aborts yet, for requests made by the runtime. */
export function createAbortSignal(): AbortSignal { return newSignal(); }

/** Runs `algorithm` when `signal` aborts (the spec's "add an abort algorithm"); nothing if it already has. */
export function addAbortAlgorithm(signal: AbortSignal, algorithm: () => void): void { addAlgorithm(signal, algorithm); }
/** Aborts a signal the runtime owns, e.g. an incoming request's when its client goes away. */
export function signalAbort(signal: AbortSignal, reason: unknown): void { abortSignal(signal, reason); }
