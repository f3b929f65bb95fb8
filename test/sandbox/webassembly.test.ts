// WebAssembly's promise-returning functions inside a real isolate
// (https://webassembly.github.io/spec/js-api/#webassembly-namespace), with modules written out by hand.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { inIsolate } from './harness.js';

// (module (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))
export const ADD_WASM = [
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
  0x01, 0x07, 0x01, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f, // type section: (i32, i32) -> i32
  0x03, 0x02, 0x01, 0x00, // function section: one function of type 0
  0x07, 0x07, 0x01, 0x03, 0x61, 0x64, 0x64, 0x00, 0x00, // export section: "add" = function 0
  0x0a, 0x09, 0x01, 0x07, 0x00, 0x20, 0x00, 0x20, 0x01, 0x6a, 0x0b, // code: local.get 0, local.get 1, i32.add, end
];
// (module (import "env" "f" (func (param i32) (result i32))) (func (export "g") (param i32) (result i32) local.get 0 call 0))
const IMPORT_WASM = [
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x06, 0x01, 0x60, 0x01, 0x7f, 0x01, 0x7f, // type section: i32 -> i32
  0x02, 0x09, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x01, 0x66, 0x00, 0x00, // import "env" "f", function of type 0
  0x03, 0x02, 0x01, 0x00, // function section
  0x07, 0x05, 0x01, 0x01, 0x67, 0x00, 0x01, // export "g" = function 1
  0x0a, 0x08, 0x01, 0x06, 0x00, 0x20, 0x00, 0x10, 0x00, 0x0b, // code: local.get 0, call 0, end
];

describe('WebAssembly', () => {
  test('compile and instantiate settle inside a request, with the results and errors the JS API names', async () => {
    const r = await inIsolate(`
      const add = new Uint8Array(${JSON.stringify(ADD_WASM)});
      const imports = new Uint8Array(${JSON.stringify(IMPORT_WASM)});
      const module = await WebAssembly.compile(add);
      const fromBytes = await WebAssembly.instantiate(add.buffer);
      const fromModule = await WebAssembly.instantiate(module);
      const withImports = await WebAssembly.instantiate(imports, { env: { f: (x) => x * 10 } });
      return {
        module: [module instanceof WebAssembly.Module, WebAssembly.Module.exports(module)],
        fromBytes: [Object.keys(fromBytes).sort(), fromBytes.module instanceof WebAssembly.Module, fromBytes.instance instanceof WebAssembly.Instance,
          fromBytes.instance.exports.add(2, 3)],
        fromModule: [fromModule instanceof WebAssembly.Instance, fromModule.exports.add(-1, 1)],
        withImports: withImports.instance.exports.g(4),
        sync: new WebAssembly.Instance(new WebAssembly.Module(add)).exports.add(40, 2),
        validate: [WebAssembly.validate(add), WebAssembly.validate(new Uint8Array([0, 97, 115, 109]))],
        errors: [
          await rejected(() => WebAssembly.compile(new Uint8Array([1, 2, 3]))),
          await rejected(() => WebAssembly.instantiate(new Uint8Array([0, 97, 115, 109, 2, 0, 0, 0]))),
          await rejected(() => WebAssembly.instantiate(imports)),
          await rejected(() => WebAssembly.instantiate(imports, { env: {} })),
          await rejected(() => WebAssembly.compile('not bytes')),
        ],
        surface: [WebAssembly.compile.name, WebAssembly.instantiate.name, WebAssembly.compile.length, WebAssembly.instantiate.length,
          Object.getOwnPropertyDescriptor(WebAssembly, 'compile').enumerable, thrown(() => new WebAssembly.compile(add))],
      };
    `);
    assert.deepEqual(r.module, [true, [{ name: 'add', kind: 'function' }]]);
    assert.deepEqual(r.fromBytes, [['instance', 'module'], true, true, 5]);
    assert.deepEqual(r.fromModule, [true, 0]);
    assert.equal(r.withImports, 40);
    assert.equal(r.sync, 42);
    assert.deepEqual(r.validate, [true, false]);
    assert.deepEqual(r.errors, ['CompileError', 'CompileError', 'TypeError', 'LinkError', 'TypeError']);
    assert.deepEqual(r.surface, ['compile', 'instantiate', 1, 1, false, 'TypeError']);
  });
});

test('a WebAssembly memory cannot grow past 128 MiB, which the isolate heap limit does not cover', async () => {
  const result = await inIsolate(`
    const out = [];
    try { new WebAssembly.Memory({ initial: 16384 }); out.push('1 GiB allocated'); } catch (e) { out.push(e.name); }
    const m = new WebAssembly.Memory({ initial: 1 });
    try { m.grow(4096); out.push('grew to 256 MiB'); } catch (e) { out.push(e.name); }
    out.push(m.buffer.byteLength);
    return out;
  `);
  assert.deepEqual(result, ['RangeError', 'RangeError', 65536]);
});
