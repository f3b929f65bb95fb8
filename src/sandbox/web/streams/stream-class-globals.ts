// The transform classes built on streams (text encoding streams, compression, Workers' identity
// streams) are globals most isolates never touch, so each module is evaluated on first access of one
// of its globals, through esbuild's lazy require wrapper, as the streams implementation is.
//
// Those modules import types only, and get what they use of the runtime from `support()` below.
// esbuild wraps a required module's own imports in lazy initializers too, and a module that is
// initialized lazily is compiled on every isolate boot instead of coming from the runtime's code
// cache: were they to import the captured built-ins or the bridge, every isolate would pay for it.
import { Op } from '../../../shared/boundary.js';
import { hostCall, hostNotify } from '../../bootstrap/host.js';
import {
  ArrayBufferPrototypeSlice, MapCtor, MapPrototypeDelete, MapPrototypeForEach, MapPrototypeSet, MathMin, NumberIsInteger,
  ObjectDefineProperty, ObjectGetPrototypeOf, ObjectSetPrototypeOf, PromiseCtor, PromiseResolve, ReflectApply,
  ReflectDefineProperty, SetPrototypeHas, StringPrototypeCharCodeAt, StringPrototypeSlice, SymbolToStringTag, TypeErrorCtor,
  Uint8ArrayCtor, globalThisRef,
} from '../../bootstrap/primordials.js';
import { NumberCtor, WeakRefCtor, WeakRefPrototypeDeref } from '../dom/builtins.js';
import { DOMException } from '../dom/dom-exception.js';
import { TextDecoder, TextDecoderPrototypeDecode } from '../encoding/text-decoder.js';
import { utf8Encode } from '../encoding/text-encoder.js';
import { byteChunk, copyChunk } from './byte-chunk.js';
import { declareStreamLength, loadStreams, withOriginalBuiltins } from './streams.js';

/** What the lazily evaluated stream classes use of the runtime; built once, on first use. */
function support() {
  return {
    Op, hostCall, hostNotify, loadStreams, declareStreamLength, DOMException, TextDecoder, TextDecoderPrototypeDecode, utf8Encode, byteChunk, copyChunk,
    NumberCtor, WeakRefCtor, WeakRefPrototypeDeref, ArrayBufferPrototypeSlice, MapCtor, MapPrototypeDelete, MapPrototypeForEach, MapPrototypeSet,
    MathMin, NumberIsInteger, ObjectDefineProperty, ObjectGetPrototypeOf, ObjectSetPrototypeOf, PromiseCtor, PromiseResolve,
    ReflectApply, SetPrototypeHas, StringPrototypeCharCodeAt, StringPrototypeSlice, SymbolToStringTag, TypeErrorCtor, Uint8ArrayCtor,
  };
}
export type StreamClassSupport = ReturnType<typeof support>;

type Define = (support: StreamClassSupport) => Record<string, unknown>;
interface Lazy { define: () => Define; classes: Record<string, unknown> | null }

const lazy = (define: () => Define): Lazy => ({ define, classes: null });
const textEncoderStream = lazy(() => (require('../encoding/text-encoder-stream.js') as { define: Define }).define);
const textDecoderStream = lazy(() => (require('../encoding/text-decoder-stream.js') as { define: Define }).define);
const compression = lazy(() => (require('../compression/compression-stream.js') as { define: Define }).define);
const identity = lazy(() => (require('./identity-transform-stream.js') as { define: Define }).define);

const MODULES: Record<string, Lazy> = {
  TextEncoderStream: textEncoderStream,
  TextDecoderStream: textDecoderStream,
  CompressionStream: compression,
  DecompressionStream: compression,
  IdentityTransformStream: identity,
  FixedLengthStream: identity,
};

let shared: StreamClassSupport | null = null;

function load(name: string): unknown {
  const module = MODULES[name]!;
  // Evaluating the module and handing its exports over goes through built-ins the tenant may have replaced.
  module.classes ??= withOriginalBuiltins(() => module.define()(shared ??= support()));
  const value = module.classes[name];
  // An interface object's name is observable; the bundler may have renamed a class that refers to itself.
  if (typeof value === 'function' && value.name !== name) ObjectDefineProperty(value, 'name', { value: name, configurable: true });
  return value;
}

const settle = (name: string, value: unknown): void => {
  ReflectDefineProperty(globalThisRef, name, { value, writable: true, configurable: true, enumerable: false });
};

export function installStreamClasses(global: object): void {
  for (const name in MODULES) {
    ObjectDefineProperty(global, name, {
      configurable: true,
      enumerable: false,
      get(): unknown {
        const value = load(name);
        settle(name, value);
        return value;
      },
      set(value: unknown): void { settle(name, value); },
    });
  }
}
