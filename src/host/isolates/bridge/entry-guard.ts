// Wraps the runtime's entries so that an exception thrown by an entry is told apart from the one
// other thing isolated-vm reports as a thrown exception: a promise that was rejected during the call
// and never handled. The first means the runtime itself broke; the second is ordinary tenant code
// (a forgotten fire-and-forget promise) and is only logged, as Workers does.
import type ivm from 'isolated-vm';
import { RUNTIME_FILENAME } from './runtime-image.js';

/** What a guarded entry returns instead of throwing; no entry returns a string like it. */
export const ENTRY_THREW = '\u0000islet:entry-threw';

// Evaluated before any tenant code, with its own captured Reflect.apply, and reachable only through
// the references the host holds.
const GUARD_SOURCE = `(function (apply, threw) {
  'use strict';
  let fault;
  let faulted = false;
  return {
    guard(entry) {
      return function () {
        try { return apply(entry, undefined, arguments); } catch (err) { fault = err; faulted = true; return threw; }
      };
    },
    rethrow() {
      if (!faulted) return;
      const err = fault;
      fault = undefined;
      faulted = false;
      throw err;
    },
  };
})(Reflect.apply, ${JSON.stringify(ENTRY_THREW)})`;

type Fn = ivm.Reference<(...args: unknown[]) => unknown>;

export interface EntryGuard {
  guard(entry: Fn): Fn;
  /** Throws, from inside the isolate, what the last guarded entry threw; returns if nothing did. */
  rethrow: Fn;
}

export function createEntryGuard(isolate: ivm.Isolate, context: ivm.Context): EntryGuard {
  const guards = isolate.compileScriptSync(GUARD_SOURCE, { filename: RUNTIME_FILENAME }).runSync(context, { reference: true }) as ivm.Reference<Record<string, unknown>>;
  const guardFn = guards.getSync('guard', { reference: true }) as Fn;
  const rethrow = guards.getSync('rethrow', { reference: true }) as Fn;
  guards.release();
  return {
    guard: (entry) => guardFn.applySync(undefined, [entry.derefInto()], { result: { reference: true } }) as unknown as Fn,
    rethrow,
  };
}
