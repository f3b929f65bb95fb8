// Built-ins the event, abort and message machinery needs beyond bootstrap/primordials, captured the
// same way while the runtime boots: a tenant that replaces them breaks only its own code. Bound at the
// top level, with no helper to call, so booting an isolate compiles nothing more for them.
const call = Function.prototype.call;

export const ArrayPrototypeIndexOf = call.bind(Array.prototype.indexOf) as <T>(a: T[], v: T, from?: number) => number;
export const WeakRefCtor = WeakRef;
export const WeakRefPrototypeDeref = call.bind(WeakRef.prototype.deref) as <T extends object>(r: WeakRef<T>) => T | undefined;
export const TypedArrayPrototypeIndexOf = call.bind(Uint8Array.prototype.indexOf) as (a: Uint8Array, v: number, from?: number) => number;
export const TypedArrayPrototypeSubarray = call.bind(Uint8Array.prototype.subarray) as (a: Uint8Array, s?: number, e?: number) => Uint8Array;
export const WeakMapCtor = WeakMap;
export const WeakMapPrototypeGet = call.bind(WeakMap.prototype.get) as <K extends object, V>(m: WeakMap<K, V>, k: K) => V | undefined;
export const WeakMapPrototypeSet = call.bind(WeakMap.prototype.set) as <K extends object, V>(m: WeakMap<K, V>, k: K, v: V) => WeakMap<K, V>;
export const NumberCtor = Number;
export const MathTrunc = Math.trunc;
