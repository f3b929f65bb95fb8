// The host half of Durable Objects for one worker's isolate: namespaces (by binding index), stubs'
// fetch and RPC calls, and the storage of the objects living in this isolate (by handle). Every
// argument comes out of the isolate and is checked here.
import { ErrorKind, Op, type HostReply } from '../../../shared/boundary.js';
import { isByteSource, type ByteSource } from '../../isolates/byte-source.js';
import { fail, failFromError, ok, typeError } from '../../isolates/host-ops/reply.js';
import type { RequestContext } from '../../isolates/request-context.js';
import type { OutgoingResponse } from '../../isolates/request-types.js';
import type { WorkerInstance } from '../../isolates/worker-instance.js';
import type { LiveObject } from './live-object.js';
import type { ObjectDirectory } from './object-directory.js';
import type { ObjectNamespaceKey } from './object-ids.js';
import { isCpuLimitFailure } from './object-errors.js';
import { isSocketOp, socketOp } from './socket-ops.js';
import { storageOp } from './storage-ops.js';

/** Op codes reserved for Durable Objects in boundary.ts. */
export function isObjectOp(op: number): boolean {
  return (op >= 70 && op <= 89) || (op >= 140 && op <= 159);
}

/** One event delivered to an object (WorkerInstance.dispatchObject). */
export interface ObjectEvent {
  kind: number;
  className: string;
  id: string;
  name: string | null;
  handle: number;
  args: unknown[];
  traceId: string;
  hops: number;
}

export interface ObjectOps {
  handle(op: number, args: unknown[], ctx: RequestContext | null, instance: WorkerInstance): HostReply | Promise<HostReply>;
}

export interface NamespaceBinding {
  className: string;
  key: ObjectNamespaceKey;
}

/** Workers stops a chain of invocations at this depth (as x-islet-via does for subrequests). */
const MAX_HOPS = 16;
/** Cloudflare's limit on an RPC call's arguments or result, serialized. */
const MAX_RESPONSE_BYTES = 100 * 1024 * 1024;

const NAME_KIND: Record<string, number> = { TypeError: ErrorKind.TypeError, RangeError: ErrorKind.RangeError, SyntaxError: ErrorKind.SyntaxError };

/** An object's thrown [name, message] as a failure the caller's runtime rebuilds. */
function thrown(reason: unknown, caller: RequestContext): HostReply {
  if (isCpuLimitFailure(reason)) caller.objectCpuLimit = true;
  if (Array.isArray(reason) && typeof reason[1] === 'string') {
    return fail((NAME_KIND[String(reason[0])] ?? ErrorKind.Error) as 0, reason[1]);
  }
  return failFromError(reason);
}

/** A streamed response body of an object, whole, for the stub's caller. */
async function readRest(source: ByteSource, limit: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (let chunk = await source.read(); chunk !== null; chunk = await source.read()) {
    size += chunk.byteLength;
    if (size > limit) {
      source.cancel('The response is too large.');
      throw new Error(`The Durable Object's response body exceeds ${limit} bytes.`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** The object's response as the stub's caller (`ctx` in `instance`) gets it. */
async function responseForCaller(response: OutgoingResponse, instance: WorkerInstance, ctx: RequestContext): Promise<HostReply> {
  // A 101 with the object's WebSocket: the caller gets an id for it, to return it in its own 101.
  if (response.webSocket !== undefined) {
    return ok([response.status, response.statusText, response.headers, null, instance.relaySocket(ctx, response.webSocket)]);
  }
  let body: ArrayBuffer | null = null;
  const raw = response.body;
  if (typeof raw === 'string') body = new Uint8Array(Buffer.from(raw, 'utf8')).buffer;
  else if (Buffer.isBuffer(raw)) body = raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength) as ArrayBuffer;
  else if (isByteSource(raw)) {
    const bytes = await readRest(raw, MAX_RESPONSE_BYTES);
    body = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  }
  return ok([response.status, response.statusText, response.headers, body]);
}

export class DurableObjectsHost implements ObjectOps {
  readonly #directory: ObjectDirectory;
  readonly #namespaces: readonly NamespaceBinding[];

  constructor(directory: ObjectDirectory, namespaces: readonly NamespaceBinding[]) {
    this.#directory = directory;
    this.#namespaces = namespaces;
  }

  handle(op: number, args: unknown[], ctx: RequestContext | null, instance: WorkerInstance): HostReply | Promise<HostReply> {
    switch (op) {
      case Op.DoIdFromName: {
        const ns = this.#namespace(args[0]);
        if (ns === null || typeof args[1] !== 'string') return typeError('Invalid Durable Object namespace call.');
        return ok(ns.key.fromName(args[1]));
      }
      case Op.DoIdFromString: {
        const ns = this.#namespace(args[0]);
        if (ns === null || typeof args[1] !== 'string') return typeError('Invalid Durable Object ID: must be 64 hex digits');
        try { return ok(ns.key.fromString(args[1])); } catch (err) { return failFromError(err); }
      }
      case Op.DoNewUniqueId: {
        const ns = this.#namespace(args[0]);
        return ns === null ? typeError('Invalid Durable Object namespace call.') : ok(ns.key.unique());
      }
      case Op.DoFetch: return this.#fetch(args, ctx, instance);
      case Op.DoCall: return this.#call(args, ctx);
      case Op.DoGate: {
        const live = this.#own(args[0], instance);
        if (live === null || ctx === null) return typeError('This Durable Object is no longer running here.');
        live.gate(ctx, args[1] === true);
        return ok(null);
      }
      default: {
        if (isSocketOp(op)) {
          const live = this.#own(op === Op.DoSocketHandOff ? args[1] : args[0], instance);
          if (live === null) return typeError('This Durable Object is no longer running here; its WebSockets are not reachable from this instance.');
          return socketOp(op, live, args, ctx, instance);
        }
        const live = this.#own(op === Op.DoStorageSync ? args[1] : args[0], instance);
        if (live === null) return typeError('This Durable Object\'s storage is no longer available here; it was reset or moved.');
        return storageOp(op, live, args, ctx);
      }
    }
  }

  #namespace(index: unknown): NamespaceBinding | null {
    return typeof index === 'number' ? this.#namespaces[index] ?? null : null;
  }

  /** The object behind a storage handle, if it lives in the calling isolate. */
  #own(handle: unknown, instance: WorkerInstance): LiveObject | null {
    const live = this.#directory.byHandle(handle);
    return live !== undefined && live.livesIn(instance) ? live : null;
  }

  /** The namespace and canonical id a stub call names, or the failure to answer. */
  #target(index: unknown, id: unknown, name: unknown, ctx: RequestContext | null): { ns: NamespaceBinding; id: string; name: string | null } | HostReply {
    if (ctx === null) return typeError('I/O is only possible while handling a request.');
    const ns = this.#namespace(index);
    if (ns === null || typeof id !== 'string' || !(name === null || typeof name === 'string')) return typeError('Invalid Durable Object stub.');
    if (ctx.hops >= MAX_HOPS) return fail(ErrorKind.Error, 'Subrequest depth limit exceeded. This request recursed through Workers too many times.');
    try {
      return { ns, id: ns.key.fromString(id), name };
    } catch (err) {
      return failFromError(err);
    }
  }

  #fetch(args: unknown[], ctx: RequestContext | null, instance: WorkerInstance): HostReply | Promise<HostReply> {
    const [, index, id, name, method, url, headers, body] = args;
    const target = this.#target(index, id, name, ctx);
    if (Array.isArray(target)) return target;
    if (typeof method !== 'string' || typeof url !== 'string' || typeof headers !== 'string'
      || !(body === null || typeof body === 'string' || body instanceof ArrayBuffer)) return typeError('Invalid request to a Durable Object.');
    const { ns, id: objectId, name: objectName } = target as Exclude<typeof target, HostReply>;
    return this.#directory.fetch(ns.className, objectId, objectName, { method, url, headers, body }, { traceId: ctx!.traceId, hops: ctx!.hops })
      .then((response) => responseForCaller(response, instance, ctx!), (reason: unknown) => thrown(reason, ctx!));
  }

  #call(args: unknown[], ctx: RequestContext | null): HostReply | Promise<HostReply> {
    const [, index, id, name, method, callArgs] = args;
    const target = this.#target(index, id, name, ctx);
    if (Array.isArray(target)) return target;
    if (typeof method !== 'string' || !Array.isArray(callArgs)) return typeError('Invalid RPC call to a Durable Object.');
    const { ns, id: objectId, name: objectName } = target as Exclude<typeof target, HostReply>;
    return this.#directory.call(ns.className, objectId, objectName, method, callArgs, { traceId: ctx!.traceId, hops: ctx!.hops })
      .then((value) => ok(value), (reason: unknown) => thrown(reason, ctx!));
  }
}
