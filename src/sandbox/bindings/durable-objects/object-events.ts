// Runs the events the host delivers to Durable Objects living in this isolate: it builds an object's
// instance on its first event (constructor(ctx, env)), also the first after it hibernated, then calls
// fetch(), an RPC method, alarm(), or a hibernatable WebSocket's webSocketMessage() / webSocketClose().
// The host decides which object gets which event when (the gates); this only runs them.
import { ObjectEventKind, Op } from '../../../shared/boundary.js';
import { hostNotify } from '../../bootstrap/host.js';
import {
  ErrorCtor, MapCtor, MapPrototypeDelete, MapPrototypeGet, MapPrototypeSet, ObjectGetPrototypeOf, PromisePrototypeThen, PromiseResolve,
  ReflectApply, ReflectGetOwnPropertyDescriptor, StringPrototypeSlice, TypeErrorCtor, Uint8ArrayCtor,
} from '../../bootstrap/primordials.js';
import { Headers } from '../../web/fetch/headers.js';
import { Request } from '../../web/fetch/request.js';
import { Response } from '../../web/fetch/response.js';
import { describeThrown, send } from '../../runtime/dispatch-fetch.js';
import type { RequestState } from '../../runtime/execution-context.js';
import { installedEnv } from '../../runtime/worker-module.js';
import { DurableObject } from './durable-object.js';
import { DurableObjectId } from './object-id.js';
import { DurableObjectState } from './state.js';

interface Instance { object: Record<string, unknown>; state: DurableObjectState }

const instances = new MapCtor<number, Instance>();
let moduleExports: Record<string, unknown> = {};
const ObjectPrototype = Object.prototype;
const MAX_MESSAGE = 16 * 1024;

/** The worker module's exports, where the classes the host names are looked up. */
export function registerObjectClasses(exports: Record<string, unknown>): void {
  moduleExports = exports;
}

/** The message a caller gets for a thrown value; tenant objects may throw from any getter. */
export function errorInfo(err: unknown): [string, string] {
  try {
    if (err instanceof ErrorCtor) {
      const message = String(err.message);
      return [String(err.name), message.length > MAX_MESSAGE ? StringPrototypeSlice(message, 0, MAX_MESSAGE) : message];
    }
    return ['Error', String(err)];
  } catch {
    return ['Error', 'The Durable Object threw a value that could not be described.'];
  }
}

function instanceFor(handle: number, className: string, id: string, name: string | null): Instance {
  const existing = MapPrototypeGet(instances, handle);
  if (existing !== undefined) return existing;
  const Class = moduleExports[className];
  if (typeof Class !== 'function') throw new TypeErrorCtor(`Durable Object class "${className}" is not exported by this worker.`);
  let object: Record<string, unknown> | null = null;
  const state = new DurableObjectState(handle, new DurableObjectId(id, name ?? undefined), () => object !== null && typeof object.alarm === 'function');
  object = new (Class as new (state: unknown, env: unknown) => Record<string, unknown>)(state, installedEnv());
  const instance = { object, state };
  DurableObjectState.bindObject(state, object);
  MapPrototypeSet(instances, handle, instance);
  return instance;
}

/**
 * A method RPC may call: one the class (or a class it extends) defines, not the instance's own
 * properties, nor Object's or DurableObject's, nor the constructor.
 */
export function methodOf(object: Record<string, unknown>, name: string): ((...args: unknown[]) => unknown) | null {
  if (name === 'constructor' || name === '__proto__') return null;
  for (let proto = ObjectGetPrototypeOf(object) as object | null; proto !== null && proto !== ObjectPrototype && proto !== DurableObject.prototype; proto = ObjectGetPrototypeOf(proto) as object | null) {
    const descriptor = ReflectGetOwnPropertyDescriptor(proto, name);
    if (descriptor === undefined) continue;
    return typeof descriptor.value === 'function' ? descriptor.value as (...args: unknown[]) => unknown : null;
  }
  return null;
}

/** An RPC call's or alarm's outcome; a value that cannot be cloned out fails the call instead. */
export function settle(state: RequestState, ok: boolean, value: unknown): void {
  if (state.responded) return;
  state.responded = true;
  const idle = state.waiting === 0;
  try {
    hostNotify(Op.DoEventResult, state.reqId, ok, value, idle);
  } catch (err) {
    hostNotify(Op.DoEventResult, state.reqId, false, ['DataCloneError', `The result could not be serialized: ${errorInfo(err)[1]}`], idle);
  }
}

function fail(state: RequestState, kind: number, err: unknown): void {
  if (kind === ObjectEventKind.Fetch) {
    // As on Cloudflare, what a fetch handler throws reaches the stub's caller, and the log.
    hostNotify(Op.Log, 4, `Uncaught ${describeThrown(err)}`);
  }
  settle(state, false, errorInfo(err));
}

function run(state: RequestState, kind: number, instance: Instance, a: unknown, b: unknown, c: unknown, d: unknown): void {
  const { object } = instance;
  let result: unknown;
  if (kind === ObjectEventKind.Fetch) {
    const handler = object.fetch;
    if (typeof handler !== 'function') throw new TypeErrorCtor('Handler does not export a fetch() function.');
    const request = Request.incoming(a as string, b as string, Headers.fromRaw(c as string, 'immutable'), d === null ? null : new Uint8ArrayCtor(d as ArrayBuffer), undefined);
    result = ReflectApply(handler, object, [request]);
    if (Response.isResponse(result)) { send(state, result); return; }
    PromisePrototypeThen(PromiseResolve(result), (response) => {
      if (Response.isResponse(response)) send(state, response);
      else fail(state, kind, new TypeErrorCtor("Incorrect type for Promise: the Promise did not resolve to 'Response'."));
    }, (err: unknown) => fail(state, kind, err));
    return;
  }
  if (kind === ObjectEventKind.SocketMessage || kind === ObjectEventKind.SocketClose) {
    // The handlers' failures are logged as uncaught; the event itself is over when they are.
    const handled = DurableObjectState.socketEvent(instance.state, kind, a as number, b, c, d);
    if (handled === undefined) { settle(state, true, undefined); return; }
    PromisePrototypeThen(handled, () => settle(state, true, undefined), () => settle(state, true, undefined));
    return;
  }
  if (kind === ObjectEventKind.Call) {
    const method = methodOf(object, a as string);
    if (method === null) throw new TypeErrorCtor(`The RPC receiver does not implement the method "${a as string}".`);
    result = ReflectApply(method, object, b as unknown[]);
  } else {
    const alarm = object.alarm;
    if (typeof alarm !== 'function') throw new TypeErrorCtor('Handler does not export an alarm() function.');
    const retryCount = a as number;
    result = ReflectApply(alarm, object, [{ retryCount, isRetry: retryCount > 0 }]);
  }
  PromisePrototypeThen(PromiseResolve(result), (value) => settle(state, true, value), (err: unknown) => settle(state, false, errorInfo(err)));
}

/** Host entry. Never throws: whatever the object does is this event's outcome. */
export function dispatchObject(reqId: number, kind: number, className: string, id: string, name: string | null, handle: number, a: unknown, b: unknown, c: unknown, d: unknown): void {
  const state: RequestState = { reqId, responded: false, waiting: 0, onIdle: () => hostNotify(Op.RequestDone, reqId) };
  try {
    const instance = instanceFor(handle, className, id, name);
    // The first event waits for what the constructor started under blockConcurrencyWhile().
    const blocked = DurableObjectState.blockedOf(instance.state);
    if (blocked === null) { run(state, kind, instance, a, b, c, d); return; }
    PromisePrototypeThen(blocked, () => {
      try { run(state, kind, instance, a, b, c, d); } catch (err) { fail(state, kind, err); }
    });
  } catch (err) {
    // A constructor that throws leaves no instance: the next event tries again.
    fail(state, kind, err);
  }
}

/** Host entry: the object left memory (evicted, reset, moved to another version). */
export function dropObject(handle: number): void {
  MapPrototypeDelete(instances, handle);
}

