// Built-ins captured before any tenant code runs. A tenant that replaces Array.prototype.push,
// Promise.prototype.then or JSON.parse breaks only its own code: the runtime calls the originals.
// (The same idea as Deno's and Node's "primordials".)

const uncurry = <T, A extends unknown[], R>(fn: (this: T, ...args: A) => R) =>
  Function.prototype.call.bind(fn) as unknown as (self: T, ...args: A) => R;

export const ObjectFreeze = Object.freeze;
export const ObjectDefineProperty = Object.defineProperty;
export const ObjectDefineProperties = Object.defineProperties;
export const ObjectKeys = Object.keys;
export const ObjectEntries = Object.entries;
export const ObjectCreate = Object.create;
export const ObjectGetPrototypeOf = Object.getPrototypeOf;
export const ObjectSetPrototypeOf = Object.setPrototypeOf;
export const ObjectPrototypeToString = uncurry(Object.prototype.toString);
export const ArrayIsArray = Array.isArray;
export const ArrayPrototypePush = uncurry(Array.prototype.push) as <T>(a: T[], ...items: T[]) => number;
export const ArrayPrototypeJoin = uncurry(Array.prototype.join) as (a: unknown[], sep?: string) => string;
export const ArrayPrototypeSlice = uncurry(Array.prototype.slice) as <T>(a: T[], s?: number, e?: number) => T[];
export const ArrayPrototypeSplice = uncurry(Array.prototype.splice) as <T>(a: T[], s: number, n?: number) => T[];
export const ArrayPrototypeSort = uncurry(Array.prototype.sort) as <T>(a: T[], cmp: (x: T, y: T) => number) => T[];
export const ArrayPrototypeMap = uncurry(Array.prototype.map) as <T, U>(a: T[], f: (v: T, i: number) => U) => U[];
export const StringPrototypeToLowerCase = uncurry(String.prototype.toLowerCase);
export const StringPrototypeIndexOf = uncurry(String.prototype.indexOf);
export const StringPrototypeSlice = uncurry(String.prototype.slice);
export const StringPrototypeTrim = uncurry(String.prototype.trim);
export const StringPrototypeCharCodeAt = uncurry(String.prototype.charCodeAt);
export const RegExpPrototypeTest = uncurry(RegExp.prototype.test);
// exec, unlike test and the String methods, never looks anything up on the RegExp it is given.
export const RegExpPrototypeExec = uncurry(RegExp.prototype.exec);
export const StringPrototypeToWellFormed = uncurry(String.prototype.toWellFormed);
export const StringPrototypeIsWellFormed = uncurry(String.prototype.isWellFormed);
export const StringFromCharCode = String.fromCharCode;
export const JSONParse = JSON.parse;
export const JSONStringify = JSON.stringify;
export const MathFloor = Math.floor;
export const MathMin = Math.min;
export const NumberIsFinite = Number.isFinite;
export const NumberIsInteger = Number.isInteger;
export const PromiseCtor = Promise;
// The unbound originals, for code that captures them itself while it evaluates.
export const PromiseOriginals = { then: Promise.prototype.then, resolve: Promise.resolve, reject: Promise.reject } as const;
export const PromiseResolve = Promise.resolve.bind(Promise) as <T>(v: T) => Promise<Awaited<T>>;
export const PromiseReject = Promise.reject.bind(Promise) as (e: unknown) => Promise<never>;
export const PromisePrototypeThen = uncurry(Promise.prototype.then) as <T, R1 = T, R2 = never>(
  p: Promise<T>,
  onOk?: ((v: T) => R1 | PromiseLike<R1>) | null,
  onErr?: ((e: unknown) => R2 | PromiseLike<R2>) | null,
) => Promise<R1 | R2>;
export const MapCtor = Map;
export const MapPrototypeGet = uncurry(Map.prototype.get) as <K, V>(m: Map<K, V>, k: K) => V | undefined;
export const MapPrototypeSet = uncurry(Map.prototype.set) as <K, V>(m: Map<K, V>, k: K, v: V) => Map<K, V>;
export const MapPrototypeDelete = uncurry(Map.prototype.delete) as <K, V>(m: Map<K, V>, k: K) => boolean;
export const MapPrototypeHas = uncurry(Map.prototype.has) as <K, V>(m: Map<K, V>, k: K) => boolean;
export const MapPrototypeForEach = uncurry(Map.prototype.forEach) as <K, V>(m: Map<K, V>, f: (v: V, k: K) => void) => void;
export const WeakMapCtor = WeakMap;
export const WeakMapPrototypeGet = uncurry(WeakMap.prototype.get) as <K extends object, V>(m: WeakMap<K, V>, k: K) => V | undefined;
export const WeakMapPrototypeSet = uncurry(WeakMap.prototype.set) as <K extends object, V>(m: WeakMap<K, V>, k: K, v: V) => WeakMap<K, V>;
export const SetPrototypeHas = uncurry(Set.prototype.has) as <T>(s: Set<T>, v: T) => boolean;
export const Uint8ArrayCtor = Uint8Array;
export const ArrayBufferCtor = ArrayBuffer;
export const ArrayBufferIsView = ArrayBuffer.isView;
export const ArrayBufferPrototypeSlice = uncurry(ArrayBuffer.prototype.slice);
export const TypedArrayPrototypeSet = uncurry(Uint8Array.prototype.set) as (t: Uint8Array, src: ArrayLike<number>, offset?: number) => void;
export const ErrorCtor = Error;
export const TypeErrorCtor = TypeError;
export const RangeErrorCtor = RangeError;
export const SyntaxErrorCtor = SyntaxError;
export const SymbolIterator = Symbol.iterator;
export const SymbolAsyncIterator = Symbol.asyncIterator;
export const SymbolToStringTag = Symbol.toStringTag;
export const DateNow = Date.now;
export const ReflectApply = Reflect.apply;
export const ReflectOwnKeys = Reflect.ownKeys;
export const ReflectDefineProperty = Reflect.defineProperty;
export const ReflectDeleteProperty = Reflect.deleteProperty;
export const ReflectGetOwnPropertyDescriptor = Reflect.getOwnPropertyDescriptor;
export const globalThisRef = globalThis;
