// One V8 isolate with the sandbox runtime booted in it. This folder is the only importer of
// isolated-vm: everything above it deals in plain values and the outcomes defined here.
import ivm from 'isolated-vm';
import { setFlagsFromString } from 'node:v8';
import './exit-past-teardown.js';
import { BRIDGE_GLOBAL, BUILTIN_MODULES, BUILTIN_MODULES_KEY, ENTRIES_GLOBAL, ENTRY_NAMES, type EntryName, type HostReply } from '../../../shared/boundary.js';
import { createEntryGuard, ENTRY_THREW } from './entry-guard.js';
import type { RuntimeImage } from './runtime-image.js';

export type BridgeHandler = (op: number, args: unknown[]) => HostReply;

/**
 * A WebAssembly memory lives outside the V8 heap, so an isolate's memory limit does not count it: a
 * 64 MB isolate could otherwise reserve and touch gigabytes. V8 caps each memory only process-wide;
 * 2048 pages (128 MiB) is the default isolate limit, and what Workers allows a whole isolate.
 */
export const WASM_MAX_MEMORY_PAGES = 2048;
setFlagsFromString(`--wasm-max-mem-pages=${WASM_MAX_MEMORY_PAGES}`);

/** How a call into the isolate ended, from the host's point of view. */
export type CallOutcome =
  /** `unhandledRejection` describes a promise rejected during the call and never handled. */
  | { ok: true; value: unknown; cpuMs: number; unhandledRejection?: string }
  | { ok: false; reason: 'cpu-limit' | 'memory-limit' | 'disposed' | 'exception'; message: string; cpuMs: number };

type EntryRef = ivm.Reference<(...args: unknown[]) => unknown>;

export class ModuleLoadError extends Error {
  readonly code = 'ERR_WORKER_MODULE';
}

export class SandboxIsolate {
  readonly isolate: ivm.Isolate;
  readonly context: ivm.Context;
  readonly memoryMb: number;
  readonly bootMs: number;
  #handler: BridgeHandler | null = null;
  readonly #entries = new Map<EntryName, EntryRef>();
  #rethrow: EntryRef;
  #module: ivm.Module | null = null;
  /** The runtime's values for the modules it provides (`cloudflare:workers`). */
  readonly #builtins: ivm.Reference<Record<string, unknown>>;
  #reportingRejection = false;

  constructor(image: RuntimeImage, memoryMb: number) {
    const started = performance.now();
    this.memoryMb = memoryMb;
    this.isolate = new ivm.Isolate({ memoryLimit: memoryMb });
    this.context = this.isolate.createContextSync();
    const global = this.context.global;
    // The bridge is one function; the runtime takes it off the global object before tenant code runs.
    global.setSync(BRIDGE_GLOBAL, new ivm.Callback((op: number, ...args: unknown[]) => this.#bridge(op, args)));
    image.compile(this.isolate).runSync(this.context);
    const entries = global.getSync(ENTRIES_GLOBAL, { reference: true }) as ivm.Reference<Record<string, unknown>>;
    global.deleteSync(ENTRIES_GLOBAL);
    const guard = createEntryGuard(this.isolate, this.context);
    this.#rethrow = guard.rethrow;
    for (const name of ENTRY_NAMES) this.#entries.set(name, guard.guard(entries.getSync(name, { reference: true }) as EntryRef));
    this.#builtins = entries.getSync(BUILTIN_MODULES_KEY, { reference: true }) as ivm.Reference<Record<string, unknown>>;
    entries.release();
    this.bootMs = performance.now() - started;
  }

  #bridge(op: number, args: unknown[]): HostReply {
    const handler = this.#handler;
    if (handler === null) return [0, 0, 'No worker is installed in this isolate.'];
    return handler(op, args);
  }
  setHandler(handler: BridgeHandler | null): void { this.#handler = handler; }

  get disposed(): boolean { return this.isolate.isDisposed; }

  /**
   * Compiles and evaluates the tenant's ES module. `cache` carries V8's code cache for this exact
   * source between isolates. Errors name the file and line, as the tenant wrote them.
   */
  loadModule(code: string, filename: string, cache: { data: ivm.ExternalCopy<ArrayBuffer> | null }, timeoutMs: number): void {
    let module: ivm.Module;
    try {
      const options = { filename, ...(cache.data !== null ? { cachedData: cache.data } : { produceCachedData: true }) };
      module = this.isolate.compileModuleSync(code, options as ivm.CompileModuleOptions);
      const produced = (module as unknown as { cachedData?: ivm.ExternalCopy<ArrayBuffer> }).cachedData;
      if (cache.data === null && produced !== undefined) cache.data = produced;
    } catch (err) {
      throw new ModuleLoadError(describe(err));
    }
    const timeout = Math.max(1, Math.ceil(timeoutMs));
    const started = performance.now();
    try {
      module.instantiateSync(this.context, (specifier) => {
        if (Object.hasOwn(BUILTIN_MODULES, specifier)) return this.#builtinModule(specifier);
        throw new Error(`Cannot resolve import "${specifier}": a worker must be bundled into one module.`);
      });
      module.evaluateSync({ timeout });
    } catch (err) {
      const message = describe(err);
      if (this.isolate.isDisposed || (err instanceof Error && err.message === MEMORY_LIMIT_MESSAGE)) {
        throw new ModuleLoadError(`Evaluating the module exceeded the memory limit of ${this.memoryMb} MB.`);
      }
      if (err instanceof Error && err.message === TIMEOUT_MESSAGE && performance.now() - started >= timeout - TIMER_SLACK_MS) {
        throw new ModuleLoadError(`Evaluating the module exceeded the startup CPU time limit of ${Math.ceil(timeoutMs)} ms.`);
      }
      throw new ModuleLoadError(`Uncaught ${message}`);
    }
    this.#module = module;
  }

  /**
   * A module the runtime provides, linked as a few lines that re-export the runtime's values. They reach
   * it under a global that exists only between linking and the module's first line, which deletes it:
   * no tenant code runs in between.
   */
  #builtinModule(specifier: string): ivm.Module {
    const names = BUILTIN_MODULES[specifier]!;
    const values = this.#builtins.getSync(specifier, { reference: true }) as ivm.Reference<Record<string, unknown>>;
    const key = JSON.stringify(`__isletModule ${specifier}`);
    this.context.global.setSync(JSON.parse(key) as string, values.derefInto());
    values.release();
    const source = `const m = globalThis[${key}];\ndelete globalThis[${key}];\n${names.map((n) => `export const ${n} = m[${JSON.stringify(n)}];`).join('\n')}\n`;
    return this.isolate.compileModuleSync(source, { filename: specifier });
  }

  /** Hands the evaluated module and its env description to the runtime; returns an error message or null. */
  install(varsJson: string, bindingsJson: string): string | null {
    if (this.#module === null) return 'no module loaded';
    const namespace = this.#module.namespace;
    const outcome = this.call('install', [namespace.derefInto(), varsJson, bindingsJson], 1000, false);
    if (!outcome.ok) return outcome.message;
    return typeof outcome.value === 'string' ? outcome.value : null;
  }

  /** Runs one entry synchronously, bounded by `timeoutMs` of execution, and reports how it ended. */
  call(entry: EntryName, args: unknown[], timeoutMs: number, copyArguments = needsCopy(args)): CallOutcome {
    if (this.isolate.isDisposed) return { ok: false, reason: 'disposed', message: 'isolate disposed', cpuMs: 0 };
    const before = this.isolate.cpuTime;
    const timeout = Math.max(1, Math.ceil(timeoutMs));
    const started = performance.now();
    let value: unknown;
    try {
      value = this.#entries.get(entry)!.applySync(undefined, args as never[], {
        timeout,
        // Copying is how ArrayBuffers and arrays cross; see needsCopy.
        ...(copyArguments ? { arguments: { copy: true } } : {}),
      });
    } catch (err) {
      if (this.isolate.isDisposed || (err instanceof Error && err.message === MEMORY_LIMIT_MESSAGE)) {
        return { ok: false, reason: 'memory-limit', message: describe(err), cpuMs: 0 };
      }
      const cpuMs = this.#cpuSince(before);
      // Only the watchdog's own error, after the whole budget has gone by: a tenant can reject a
      // promise with the same text, but not make the call last longer than it allows.
      if (err instanceof Error && err.message === TIMEOUT_MESSAGE && performance.now() - started >= timeout - TIMER_SLACK_MS) {
        return { ok: false, reason: 'cpu-limit', message: describe(err), cpuMs };
      }
      // Entries cannot throw through their guard, so this is a rejection nobody handled. The call
      // itself ran to the end (its return value is lost, but no entry's result matters then).
      const thrown = this.#takeFault();
      if (thrown !== null) return { ok: false, reason: 'exception', message: thrown, cpuMs };
      return this.#reportRejection(err, before, started + timeout);
    }
    const cpuMs = this.#cpuSince(before);
    if (value === ENTRY_THREW) return { ok: false, reason: 'exception', message: this.#takeFault() ?? 'unknown exception', cpuMs };
    return { ok: true, value, cpuMs };
  }

  /**
   * A rejection nobody handled goes to the runtime's "unhandledrejection" listeners first, within
   * what is left of the call's time; the outcome carries it for the log only if none canceled it.
   * isolated-vm hands over a copy of the reason and not the promise, so that copy is what they see.
   */
  #reportRejection(err: unknown, before: bigint, deadline: number): CallOutcome {
    const described = describe(err);
    // A listener that leaves a rejection of its own unhandled is not asked about it again.
    if (this.#reportingRejection) return { ok: true, value: undefined, cpuMs: this.#cpuSince(before), unhandledRejection: described };
    this.#reportingRejection = true;
    let outcome: CallOutcome;
    try {
      outcome = this.call('reportRejection', rejectionArguments(err), Math.max(1, deadline - performance.now()), false);
    } finally {
      this.#reportingRejection = false;
    }
    const cpuMs = this.#cpuSince(before);
    if (!outcome.ok) return { ...outcome, cpuMs };
    const logged = outcome.value !== false ? [described] : [];
    if (outcome.unhandledRejection !== undefined) logged.push(`Uncaught (in promise) ${outcome.unhandledRejection}`);
    return { ok: true, value: undefined, cpuMs, ...(logged.length > 0 ? { unhandledRejection: logged.join('\n') } : {}) };
  }

  /** What the last entry threw, described, or null when it returned. */
  #takeFault(): string | null {
    try {
      this.#rethrow.applySync(undefined, [], { timeout: 100 });
      return null;
    } catch (err) {
      return describe(err);
    }
  }

  #cpuSince(before: bigint): number {
    return Number(this.isolate.cpuTime - before) / 1e6;
  }

  heapUsedBytes(): number {
    if (this.isolate.isDisposed) return 0;
    const stats = this.isolate.getHeapStatisticsSync();
    return stats.used_heap_size + stats.externally_allocated_size;
  }

  dispose(): void {
    this.#handler = null;
    if (!this.isolate.isDisposed) this.isolate.dispose();
  }
}

/**
 * The reportRejection entry's arguments: (isError, valueOrName, message, stack). isolated-vm turns an
 * error reason into a host Error (the isolate's frames, then its own below a marker) and passes a
 * primitive through; any other object it replaces with an Error saying so.
 */
function rejectionArguments(reason: unknown): [boolean, unknown, string, string] {
  if (!(reason instanceof Error)) return [false, reason, '', ''];
  const stack = typeof reason.stack === 'string' ? reason.stack : '';
  const boundary = stack.indexOf(ISOLATE_BOUNDARY);
  const own = boundary === -1 ? stack : stack.slice(0, stack.lastIndexOf('\n', boundary));
  return [true, reason.name, reason.message, own];
}

/** Primitives cross as they are; only objects (ArrayBuffers, arrays) need isolated-vm's copy, which costs. */
function needsCopy(args: unknown[]): boolean {
  for (const arg of args) if (typeof arg === 'object' && arg !== null) return true;
  return false;
}

/**
 * An isolate error as the tenant may see it: its own frames only. isolated-vm appends the host's
 * frames below a boundary marker; an error raised by host code (an import resolver) has no tenant
 * frames at all, so only its name and message are kept.
 */
function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const head = `${err.name}: ${err.message}`;
  const stack = typeof err.stack === 'string' ? err.stack : '';
  const boundary = stack.indexOf(ISOLATE_BOUNDARY);
  if (boundary === -1) return head;
  const lines = stack.slice(0, boundary).split('\n');
  lines.pop();
  return lines.length > 0 && lines[0]!.length > 0 ? lines.join('\n') : head;
}

const ISOLATE_BOUNDARY = '(<isolated-vm boundary>)';
// isolated-vm's texts for its own two ways of stopping a call.
const TIMEOUT_MESSAGE = 'Script execution timed out.';
const MEMORY_LIMIT_MESSAGE = 'Isolate was disposed during execution due to memory limit';
// The watchdog's timer may fire a fraction of a millisecond before the host's clock agrees.
const TIMER_SLACK_MS = 1;
