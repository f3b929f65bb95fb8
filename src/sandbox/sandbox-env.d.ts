// esbuild turns a require() of a bundled module into a lazy initializer; the runtime uses it to defer
// evaluating heavy modules (the streams implementation) until a tenant first touches them.
declare const require: (id: string) => unknown;
