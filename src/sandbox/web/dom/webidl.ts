// The few WebIDL conversions the DOM interfaces here need.
// @see https://webidl.spec.whatwg.org/#es-type-mapping
import { MathFloor, NumberIsFinite, ObjectCreate, ObjectFreeze, SymbolIterator, StringPrototypeIsWellFormed, StringPrototypeToWellFormed, TypeErrorCtor } from '../../bootstrap/primordials.js';
import { MathTrunc, NumberCtor } from './builtins.js';

/** DOMString: a template literal throws on a Symbol, as ToString does. */
export function toDOMString(value: unknown): string {
  return typeof value === 'string' ? value : `${value as string}`;
}

export function toUSVString(value: unknown): string {
  const s = toDOMString(value);
  return StringPrototypeIsWellFormed(s) ? s : StringPrototypeToWellFormed(s);
}

// Nothing on Object.prototype may leak into a dictionary that was never given.
const EMPTY_DICTIONARY = ObjectFreeze(ObjectCreate(null) as Record<string, unknown>);

/** A dictionary argument: undefined and null are the empty dictionary, other primitives are errors. */
export function toDictionary(value: unknown, context: string, type: string): Record<string, unknown> {
  if (value === undefined || value === null) return EMPTY_DICTIONARY;
  if (typeof value !== 'object' && typeof value !== 'function') {
    throw new TypeErrorCtor(`${context}: The provided value is not of type '${type}'.`);
  }
  return value as Record<string, unknown>;
}

/** unsigned long: modulo 2^32 after truncation; NaN and the infinities are 0. */
export function toUnsignedLong(value: unknown): number {
  const n = NumberCtor(value);
  if (!NumberIsFinite(n)) return 0;
  const wrapped = MathTrunc(n) % 2 ** 32;
  return wrapped < 0 ? wrapped + 2 ** 32 : wrapped === 0 ? 0 : wrapped;
}

/** long long (as far as a double holds it): truncated; NaN and the infinities are 0. */
export function toLongLong(value: unknown): number {
  const n = NumberCtor(value);
  return NumberIsFinite(n) ? MathTrunc(n) + 0 : 0;
}

/** [EnforceRange] unsigned long long: out-of-range or non-finite values are a TypeError. */
export function toEnforcedUnsignedLongLong(value: unknown, context: string): number {
  const n = NumberCtor(value);
  if (!NumberIsFinite(n)) throw new TypeErrorCtor(`${context}: Value is not of type 'unsigned long long'.`);
  const integer = n < 0 ? -MathFloor(-n) : MathFloor(n);
  if (integer < 0 || integer > Number.MAX_SAFE_INTEGER) {
    throw new TypeErrorCtor(`${context}: Value is outside the 'unsigned long long' value range.`);
  }
  return integer + 0;
}

export function requireArguments(count: number, required: number, context: string): void {
  if (count < required) {
    throw new TypeErrorCtor(`${context}: ${required} argument${required === 1 ? '' : 's'} required, but only ${count} present.`);
  }
}

/** Whether WebIDL would take the value as a sequence: an object with a callable @@iterator. */
export function isIterableObject(value: unknown): value is Iterable<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null
    && typeof (value as Record<symbol, unknown>)[SymbolIterator] === 'function';
}
