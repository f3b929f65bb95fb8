// WorkerEntrypoint classes: a worker's default export (or a named export a service binding names as its
// `entrypoint`) may be a class extending WorkerEntrypoint. Each invocation gets a new instance built
// with (ctx, env), as on Workers; its fetch()/scheduled()/queue() take only the event, and its other
// public methods are callable over RPC from a service binding.
// @see https://developers.cloudflare.com/workers/runtime-apis/bindings/service-bindings/rpc/
import { Op } from '../../shared/boundary.js';
import { errorInfo, methodOf, settle } from '../bindings/durable-objects/object-events.js';
import { hostNotify } from '../bootstrap/host.js';
import { ObjectGetPrototypeOf, PromisePrototypeThen, PromiseResolve, ReflectApply, SetPrototypeHas, TypeErrorCtor } from '../bootstrap/primordials.js';
import { WorkerEntrypoint } from './builtin-modules.js';
import { describeThrown } from './dispatch-fetch.js';
import { ExecutionContext, type RequestState } from './execution-context.js';
import { installedEnv, installedExports, installedHandler, type FetchHandler } from './worker-module.js';

type EntrypointClass = new (ctx: unknown, env: unknown) => Record<string, unknown>;

/** Handlers with Workers' special meaning: callable as events, never as RPC methods. */
const RESERVED = new Set(['fetch', 'connect', 'scheduled', 'queue', 'tail', 'trace', 'email', 'alarm', 'webSocketMessage', 'webSocketClose', 'webSocketError']);

export function isEntrypointClass(value: unknown): value is EntrypointClass {
  if (typeof value !== 'function') return false;
  for (let proto = value.prototype as object | null | undefined; proto !== null && proto !== undefined; proto = ObjectGetPrototypeOf(proto) as object | null) {
    if (proto === WorkerEntrypoint.prototype) return true;
  }
  return false;
}

/**
 * The handler object the runtime dispatches events to: the export itself for a plain object, or for a
 * WorkerEntrypoint class one whose handlers build a fresh instance per event and call its method with
 * the event alone (env and ctx are on `this`).
 */
export function handlerObject(exported: unknown): Record<string, unknown> {
  if (!isEntrypointClass(exported)) return exported as Record<string, unknown>;
  const Class = exported;
  const forward = (name: string) => (event: unknown, env: unknown, ctx: unknown): unknown => {
    const instance = new Class(ctx, env);
    const method = instance[name];
    if (typeof method !== 'function') throw new TypeErrorCtor(`Handler does not export a ${name}() function.`);
    return ReflectApply(method, instance, [event]);
  };
  const has = (name: string) => typeof (Class.prototype as Record<string, unknown>)[name] === 'function';
  const handlers: Record<string, unknown> = {};
  if (has('fetch')) handlers.fetch = forward('fetch');
  if (has('scheduled')) handlers.scheduled = forward('scheduled');
  if (has('queue')) handlers.queue = forward('queue');
  // A class with only RPC methods still loads: a request to it fails as a fetch-less worker's does.
  if (!has('fetch') && !has('scheduled') && !has('queue')) handlers.rpcOnly = true;
  return handlers;
}

/** The handler for an event sent to `entrypoint` (a named export) or, for null, to the default export. */
export function handlerFor(entrypoint: string | null | undefined): FetchHandler | null {
  if (entrypoint === null || entrypoint === undefined) return installedHandler();
  const exported = installedExports()[entrypoint];
  if (!isEntrypointClass(exported)) return null;
  const self = handlerObject(exported);
  const fetch = self.fetch;
  return { fetch: typeof fetch === 'function' ? fetch as FetchHandler['fetch'] : null, self };
}

/** Host entry: one RPC call from a service binding. Never throws: the outcome is the call's result or error. */
export function dispatchRpc(reqId: number, entrypoint: string | null, method: string, args: unknown[]): void {
  const state: RequestState = { reqId, responded: false, waiting: 0, onIdle: () => hostNotify(Op.RequestDone, reqId) };
  const failed = (err: unknown): void => settle(state, false, errorInfo(err));
  try {
    const Class = entrypoint === null ? installedExports().default : installedExports()[entrypoint];
    let target: ((...a: unknown[]) => unknown) | null = null;
    let instance: Record<string, unknown> | null = null;
    if (isEntrypointClass(Class) && !SetPrototypeHas(RESERVED, method)) {
      instance = new Class(new ExecutionContext(state), installedEnv());
      target = methodOf(instance, method);
    }
    // Workers' words for a method the receiver does not have (or does not expose over RPC).
    if (target === null || instance === null) throw new TypeErrorCtor(`The RPC receiver does not implement the method "${method}".`);
    PromisePrototypeThen(PromiseResolve(ReflectApply(target, instance, args)), (value) => settle(state, true, value), (err: unknown) => {
      hostNotify(Op.Log, 4, `Uncaught (in RPC method ${method}) ${describeThrown(err)}`);
      failed(err);
    });
  } catch (err) {
    failed(err);
  }
}

