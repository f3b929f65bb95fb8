// WebAssembly.compile and WebAssembly.instantiate on top of the synchronous constructors.
// @see https://webassembly.github.io/spec/js-api/#webassembly-namespace
//
// V8 finishes an asynchronous compile in a task it posts to the embedder, and isolated-vm runs posted
// tasks only when an isolate is entered asynchronously, which the host never does: V8's own
// compile() and instantiate() would never settle. These compile in the calling turn and settle the
// promise with the same results and the same errors (CompileError, LinkError, RuntimeError, TypeError).
import { ObjectDefineProperty, PromiseCtor, globalThisRef } from '../../bootstrap/primordials.js';

interface WasmNamespace {
  Module: new (bytes: unknown) => object;
  Instance: new (module: object, imports?: unknown) => object;
}

/** Settles a promise with what `work` returns or throws; the work itself runs now. */
function settled<T>(work: () => T): Promise<T> {
  return new PromiseCtor<T>((resolve) => resolve(work()));
}

export function installWebAssembly(): void {
  const wasm = (globalThisRef as unknown as { WebAssembly?: WasmNamespace }).WebAssembly;
  if (wasm === undefined) return;
  const { Module, Instance } = wasm;
  const methods = {
    compile(bytes: unknown): Promise<object> {
      return settled(() => new Module(bytes));
    },
    // instantiate(module, imports) gives an Instance; instantiate(bytes, imports) gives { module, instance }.
    instantiate(source: unknown, importObject: unknown = undefined): Promise<object> {
      return settled(() => {
        if (source instanceof Module) return new Instance(source, importObject);
        const module = new Module(source);
        return { module, instance: new Instance(module, importObject) };
      });
    },
  };
  for (const name of ['compile', 'instantiate'] as const) {
    ObjectDefineProperty(wasm, name, { value: methods[name], writable: true, configurable: true, enumerable: false });
  }
}
