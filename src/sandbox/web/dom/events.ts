// The Event subclasses a Workers global scope exposes besides MessageEvent. Dictionary members are
// read in WebIDL's order: the inherited dictionary's first, then each level's own, alphabetically.
import { ObjectDefineProperty, SymbolToStringTag, TypeErrorCtor } from '../../bootstrap/primordials.js';
import { Event, eventState } from './event.js';
import { requireArguments, toDictionary, toDOMString, toUnsignedLong, toUSVString } from './webidl.js';

/** @see https://dom.spec.whatwg.org/#interface-customevent */
export class CustomEvent extends Event {
  #detail: unknown = null;
  constructor(type: unknown, eventInitDict: unknown = undefined) {
    requireArguments(arguments.length, 1, "Failed to construct 'CustomEvent'");
    const init = toDictionary(eventInitDict, "Failed to construct 'CustomEvent'", 'CustomEventInit');
    super(type, init);
    const detail = init.detail;
    this.#detail = detail === undefined ? null : detail;
  }
  get detail(): unknown { return this.#detail; }
  initCustomEvent(type: unknown, bubbles: unknown = false, cancelable: unknown = false, detail: unknown = null): void {
    requireArguments(arguments.length, 1, "Failed to execute 'initCustomEvent' on 'CustomEvent'");
    if (eventState(this, "Failed to execute 'initCustomEvent' on 'CustomEvent'").dispatching) return;
    this.initEvent(type, bubbles, cancelable);
    this.#detail = detail;
  }
}
ObjectDefineProperty(CustomEvent.prototype, SymbolToStringTag, { value: 'CustomEvent', configurable: true });

/** @see https://html.spec.whatwg.org/multipage/webappapis.html#errorevent */
export class ErrorEvent extends Event {
  #message = '';
  #filename = '';
  #lineno = 0;
  #colno = 0;
  #error: unknown = undefined;
  constructor(type: unknown, eventInitDict: unknown = undefined) {
    requireArguments(arguments.length, 1, "Failed to construct 'ErrorEvent'");
    const init = toDictionary(eventInitDict, "Failed to construct 'ErrorEvent'", 'ErrorEventInit');
    super(type, init);
    const colno = init.colno;
    if (colno !== undefined) this.#colno = toUnsignedLong(colno);
    this.#error = init.error;
    const filename = init.filename;
    if (filename !== undefined) this.#filename = toUSVString(filename);
    const lineno = init.lineno;
    if (lineno !== undefined) this.#lineno = toUnsignedLong(lineno);
    const message = init.message;
    if (message !== undefined) this.#message = toDOMString(message);
  }
  get message(): string { return this.#message; }
  get filename(): string { return this.#filename; }
  get lineno(): number { return this.#lineno; }
  get colno(): number { return this.#colno; }
  get error(): unknown { return this.#error; }
}
ObjectDefineProperty(ErrorEvent.prototype, SymbolToStringTag, { value: 'ErrorEvent', configurable: true });

/** @see https://html.spec.whatwg.org/multipage/webappapis.html#promiserejectionevent */
export class PromiseRejectionEvent extends Event {
  #promise: object;
  #reason: unknown;
  constructor(type: unknown, eventInitDict?: unknown) {
    requireArguments(arguments.length, 2, "Failed to construct 'PromiseRejectionEvent'");
    const init = toDictionary(eventInitDict, "Failed to construct 'PromiseRejectionEvent'", 'PromiseRejectionEventInit');
    super(type, init);
    const promise = init.promise;
    if (promise === undefined) {
      throw new TypeErrorCtor("Failed to construct 'PromiseRejectionEvent': required member promise is undefined.");
    }
    if (typeof promise !== 'object' && typeof promise !== 'function' || promise === null) {
      throw new TypeErrorCtor("Failed to construct 'PromiseRejectionEvent': member promise is not of type 'object'.");
    }
    this.#promise = promise;
    this.#reason = init.reason;
  }
  get promise(): object { return this.#promise; }
  get reason(): unknown { return this.#reason; }
}
ObjectDefineProperty(PromiseRejectionEvent.prototype, SymbolToStringTag, { value: 'PromiseRejectionEvent', configurable: true });
