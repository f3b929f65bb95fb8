// The tenant's module, once evaluated, and the env object built for it.
import { BindingKind, type BindingDescriptor } from '../../shared/bindings.js';
import { buildBindings } from '../bindings/env-bindings.js';
import { JSONParse, ObjectFreeze } from '../bootstrap/primordials.js';
import { handlerObject } from './entrypoints.js';

/** `fetch` is null for a module that only handles other events (a scheduled-only worker). */
export interface FetchHandler { fetch: ((request: unknown, env: unknown, ctx: unknown) => unknown) | null; self: unknown }

let handler: FetchHandler | null = null;
let env: Record<string, unknown> = {};
let moduleExports: Record<string, unknown> = {};

export function installedHandler(): FetchHandler | null { return handler; }
export function installedEnv(): Record<string, unknown> { return env; }
/** The module's namespace: named WorkerEntrypoint classes a service binding may name. */
export function installedExports(): Record<string, unknown> { return moduleExports; }

/**
 * Host entry. Returns null on success or a message saying what is wrong with the module, the way
 * Workers reports a worker that has no fetch handler.
 */
export function install(namespace: Record<string, unknown>, varsJson: string, bindingsJson: string): string | null {
  const exported = namespace.default;
  const descriptors = JSONParse(bindingsJson) as BindingDescriptor[];
  let target: Record<string, unknown>;
  let fetch: unknown;
  if (exported === undefined) {
    // A module of Durable Object classes alone: Workers deploys it, and a request to it fails as a
    // fetch-less worker's does. Whether the classes exist is checked with the bindings below.
    if (!definesObjects(descriptors)) {
      return 'The worker has no default export. Export a handler object: export default { async fetch(request, env, ctx) { ... } }';
    }
    target = {};
  } else {
    if ((typeof exported !== 'object' && typeof exported !== 'function') || exported === null) {
      return 'The default export is not a handler object. Export one: export default { async fetch(request, env, ctx) { ... } }';
    }
    // Each read once: a getter must not answer the check one way and the call another.
    // A WorkerEntrypoint class is served through an object that builds an instance per event.
    target = handlerObject(exported);
    fetch = target.fetch;
    // A module may handle only cron triggers or queue batches; a request to it then fails as on Workers.
    if (!(typeof fetch === 'function' || typeof target.scheduled === 'function' || typeof target.queue === 'function' || target.rpcOnly === true)) {
      return 'The default export has no handler (fetch, scheduled or queue). Export a handler object: export default { async fetch(request, env, ctx) { ... } }';
    }
  }
  const built: Record<string, unknown> = JSONParse(varsJson) as Record<string, unknown>;
  const problem = buildBindings(built, descriptors, namespace);
  if (problem !== null) return problem;
  env = ObjectFreeze(built);
  moduleExports = namespace;
  handler = { fetch: typeof fetch === 'function' ? fetch as FetchHandler['fetch'] : null, self: target };
  return null;
}

/** Whether the worker binds Durable Object classes of its own (by index: Array.prototype may be the tenant's). */
function definesObjects(descriptors: readonly BindingDescriptor[]): boolean {
  for (let i = 0; i < descriptors.length; i++) if (descriptors[i]!.kind === BindingKind.DurableObject) return true;
  return false;
}
