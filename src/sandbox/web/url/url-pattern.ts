// @see https://urlpattern.spec.whatwg.org/
// URLPattern comes from urlpattern-polyfill, which tracks the spec and its Web Platform Tests. Like
// the streams implementation it is evaluated on first use only, so isolates that never match a
// pattern do not pay for its parser.
import { ObjectDefineProperty, ReflectDefineProperty, SymbolToStringTag, globalThisRef } from '../../bootstrap/primordials.js';

type URLPatternCtor = new (...args: unknown[]) => object;
let URLPattern: URLPatternCtor | null = null;

export function loadURLPattern(): URLPatternCtor {
  if (URLPattern === null) {
    // The /urlpattern entry exports the class without touching the global object, as the package's
    // main entry would.
    const loaded = (require('urlpattern-polyfill/urlpattern') as { URLPattern: URLPatternCtor }).URLPattern;
    ObjectDefineProperty(loaded.prototype, SymbolToStringTag, { value: 'URLPattern', configurable: true });
    URLPattern = loaded;
  }
  return URLPattern;
}

const settle = (value: unknown) =>
  ReflectDefineProperty(globalThisRef, 'URLPattern', { value, writable: true, configurable: true, enumerable: false });

// The global is an accessor that loads the class and then steps aside for a plain property. It is
// built here rather than in a function so that booting an isolate compiles nothing for it.
const ACCESSOR = {
  configurable: true,
  enumerable: false,
  get(): unknown {
    const ctor = loadURLPattern();
    settle(ctor);
    return ctor;
  },
  set(value: unknown): void { settle(value); },
};

export function installURLPattern(global: object): void { ObjectDefineProperty(global, 'URLPattern', ACCESSOR); }
