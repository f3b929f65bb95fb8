// @see https://dom.spec.whatwg.org/#interface-event
import { ObjectDefineProperty, SymbolToStringTag, TypeErrorCtor } from '../../bootstrap/primordials.js';
import { performance } from '../performance/performance.js';
import { requireArguments, toDictionary, toDOMString } from './webidl.js';

export const NONE = 0;
export const CAPTURING_PHASE = 1;
export const AT_TARGET = 2;
export const BUBBLING_PHASE = 3;

/** The event's flags and internal slots; tenants see them only through the IDL attributes. */
export interface EventState {
  type: string;
  bubbles: boolean;
  cancelable: boolean;
  composed: boolean;
  target: object | null;
  currentTarget: object | null;
  phase: number;
  stopPropagation: boolean;
  stopImmediatePropagation: boolean;
  canceled: boolean;
  inPassiveListener: boolean;
  dispatching: boolean;
  initialized: boolean;
  isTrusted: boolean;
  timeStamp: number;
}

let stateOf: (event: Event) => EventState;

/** The state behind an Event, or a TypeError when the value is not one. */
export function eventState(event: unknown, context: string): EventState {
  if (typeof event !== 'object' || event === null || !isEvent(event)) {
    throw new TypeErrorCtor(`${context}: parameter 1 is not of type 'Event'.`);
  }
  return stateOf(event);
}
let isEvent: (value: object) => value is Event;

/** @see https://dom.spec.whatwg.org/#set-the-canceled-flag */
export function setCanceledFlag(state: EventState): void {
  if (state.cancelable && !state.inPassiveListener) state.canceled = true;
}

export interface EventInit { bubbles?: boolean; cancelable?: boolean; composed?: boolean }

// isTrusted is [LegacyUnforgeable]: an own accessor on every event, sharing one getter.
function isTrusted(this: Event): boolean { return eventState(this, "Failed to read 'isTrusted'").isTrusted; }
ObjectDefineProperty(isTrusted, 'name', { value: 'get isTrusted' });
const isTrustedDescriptor = { get: isTrusted, enumerable: true, configurable: false };

export class Event {
  static {
    stateOf = (event) => event.#state;
    isEvent = (value): value is Event => #state in value;
  }
  readonly #state: EventState;

  constructor(type: unknown, eventInitDict: unknown = undefined) {
    requireArguments(arguments.length, 1, "Failed to construct 'Event'");
    const name = toDOMString(type);
    const init = toDictionary(eventInitDict, "Failed to construct 'Event'", 'EventInit');
    this.#state = {
      type: name,
      bubbles: !!init.bubbles,
      cancelable: !!init.cancelable,
      composed: !!init.composed,
      target: null,
      currentTarget: null,
      phase: NONE,
      stopPropagation: false,
      stopImmediatePropagation: false,
      canceled: false,
      inPassiveListener: false,
      dispatching: false,
      initialized: true,
      isTrusted: false,
      timeStamp: performance.now(),
    };
    ObjectDefineProperty(this, 'isTrusted', isTrustedDescriptor);
  }

  get type(): string { return this.#state.type; }
  get target(): object | null { return this.#state.target; }
  /** @deprecated legacy alias of target */
  get srcElement(): object | null { return this.#state.target; }
  get currentTarget(): object | null { return this.#state.currentTarget; }
  /** @see https://dom.spec.whatwg.org/#dom-event-composedpath */
  composedPath(): object[] {
    const current = this.#state.currentTarget;
    return current === null ? [] : [current];
  }
  get eventPhase(): number { return this.#state.phase; }
  stopPropagation(): void { this.#state.stopPropagation = true; }
  get cancelBubble(): boolean { return this.#state.stopPropagation; }
  set cancelBubble(value: boolean) { if (value) this.#state.stopPropagation = true; }
  stopImmediatePropagation(): void {
    this.#state.stopPropagation = true;
    this.#state.stopImmediatePropagation = true;
  }
  get bubbles(): boolean { return this.#state.bubbles; }
  get cancelable(): boolean { return this.#state.cancelable; }
  get returnValue(): boolean { return !this.#state.canceled; }
  set returnValue(value: boolean) { if (!value) setCanceledFlag(this.#state); }
  preventDefault(): void { setCanceledFlag(this.#state); }
  get defaultPrevented(): boolean { return this.#state.canceled; }
  get composed(): boolean { return this.#state.composed; }
  get timeStamp(): number { return this.#state.timeStamp; }

  /** @see https://dom.spec.whatwg.org/#dom-event-initevent */
  initEvent(type: unknown, bubbles: unknown = false, cancelable: unknown = false): void {
    requireArguments(arguments.length, 1, "Failed to execute 'initEvent' on 'Event'");
    const state = this.#state;
    if (state.dispatching) return;
    state.initialized = true;
    state.stopPropagation = false;
    state.stopImmediatePropagation = false;
    state.canceled = false;
    state.isTrusted = false;
    state.target = null;
    state.type = toDOMString(type);
    state.bubbles = !!bubbles;
    state.cancelable = !!cancelable;
  }

  declare static readonly NONE: 0;
  declare static readonly CAPTURING_PHASE: 1;
  declare static readonly AT_TARGET: 2;
  declare static readonly BUBBLING_PHASE: 3;
}

const PHASES = ['NONE', 'CAPTURING_PHASE', 'AT_TARGET', 'BUBBLING_PHASE'] as const;
for (let value = 0; value < PHASES.length; value++) {
  const descriptor = { value, writable: false, enumerable: true, configurable: false };
  ObjectDefineProperty(Event, PHASES[value]!, descriptor);
  ObjectDefineProperty(Event.prototype, PHASES[value]!, descriptor);
}
ObjectDefineProperty(Event.prototype, SymbolToStringTag, { value: 'Event', configurable: true });
