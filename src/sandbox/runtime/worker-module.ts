// The tenant's module, once evaluated, and the env object built for it.
import type { BindingDescriptor } from '../../shared/bindings.js';
import { buildBindings } from '../bindings/env-bindings.js';
import { JSONParse, ObjectFreeze } from '../bootstrap/primordials.js';

export interface FetchHandler { fetch: (request: unknown, env: unknown, ctx: unknown) => unknown; self: unknown }

let handler: FetchHandler | null = null;
let env: Record<string, unknown> = {};

export function installedHandler(): FetchHandler | null { return handler; }
export function installedEnv(): Record<string, unknown> { return env; }

/**
 * Host entry. Returns null on success or a message saying what is wrong with the module, the way
 * Workers reports a worker that has no fetch handler.
 */
export function install(namespace: Record<string, unknown>, varsJson: string, bindingsJson: string): string | null {
  const exported = namespace.default;
  if (exported === undefined) {
    return 'The worker has no default export. Export a handler object: export default { async fetch(request, env, ctx) { ... } }';
  }
  const target = exported as { fetch?: unknown };
  if ((typeof exported !== 'object' && typeof exported !== 'function') || exported === null || typeof target.fetch !== 'function') {
    return 'The default export has no fetch handler. Export a handler object: export default { async fetch(request, env, ctx) { ... } }';
  }
  const built: Record<string, unknown> = JSONParse(varsJson) as Record<string, unknown>;
  const problem = buildBindings(built, JSONParse(bindingsJson) as BindingDescriptor[], namespace);
  if (problem !== null) return problem;
  env = ObjectFreeze(built);
  handler = { fetch: target.fetch as FetchHandler['fetch'], self: exported };
  return null;
}
