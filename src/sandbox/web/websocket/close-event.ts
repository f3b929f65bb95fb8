// @see https://websockets.spec.whatwg.org/#the-closeevent-interface
import { NumberIsFinite, ObjectDefineProperty, SymbolToStringTag } from '../../bootstrap/primordials.js';
import { MathTrunc, NumberCtor } from '../dom/builtins.js';
import { Event } from '../dom/event.js';
import { requireArguments, toDictionary, toUSVString } from '../dom/webidl.js';

/** WebIDL unsigned short: truncated, then wrapped modulo 2^16. */
function toUnsignedShort(value: unknown): number {
  const n = NumberCtor(value);
  if (!NumberIsFinite(n)) return 0;
  const wrapped = MathTrunc(n) % 0x10000;
  return wrapped < 0 ? wrapped + 0x10000 : wrapped + 0;
}

export class CloseEvent extends Event {
  #wasClean = false;
  #code = 0;
  #reason = '';

  constructor(type: unknown, eventInitDict: unknown = undefined) {
    const context = "Failed to construct 'CloseEvent'";
    requireArguments(arguments.length, 1, context);
    const init = toDictionary(eventInitDict, context, 'CloseEventInit');
    super(type, init);
    // Members in WebIDL's order: code, reason, wasClean.
    const code = init.code;
    if (code !== undefined) this.#code = toUnsignedShort(code);
    const reason = init.reason;
    if (reason !== undefined) this.#reason = toUSVString(reason);
    const wasClean = init.wasClean;
    if (wasClean !== undefined) this.#wasClean = !!wasClean;
  }

  get wasClean(): boolean { return this.#wasClean; }
  get code(): number { return this.#code; }
  get reason(): string { return this.#reason; }
}
ObjectDefineProperty(CloseEvent.prototype, SymbolToStringTag, { value: 'CloseEvent', configurable: true });
