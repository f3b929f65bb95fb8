// A stub: fetch() sends a request to the object; any other method name is a JavaScript RPC call of
// the object's method of that name, its arguments and result structured-cloned by the bridge.
// @see https://developers.cloudflare.com/durable-objects/api/stub/
import { Op } from '../../../shared/boundary.js';
import { hostAsync } from '../../bootstrap/host.js';
import { ObjectFreeze, PromiseReject, SetPrototypeHas, Uint8ArrayCtor } from '../../bootstrap/primordials.js';
import { DOMException } from '../../web/dom/dom-exception.js';
import { BodyHolder } from '../../web/fetch/body.js';
import { Headers } from '../../web/fetch/headers.js';
import { Request, type RequestInit } from '../../web/fetch/request.js';
import { Response } from '../../web/fetch/response.js';
import { DurableObjectId } from './object-id.js';
import { relayedWebSocket } from '../../web/websocket/websocket.js';

type FetchReply = [number, string, string, ArrayBuffer | null, number?];

/** Properties of the stub itself; every other string is an RPC method name. */
const OWN = new Set(['id', 'name', 'fetch']);
// Captured while the runtime boots, before any tenant code could replace the global.
const ProxyCtor = Proxy;

async function stubFetch(index: number, id: DurableObjectId, input: unknown, init?: RequestInit): Promise<Response> {
  const request = new Request(input, init);
  let body: string | ArrayBuffer | null;
  if (BodyHolder.hasStreamBody(request)) body = await request.arrayBuffer();
  else body = BodyHolder.takeForHost(request);
  const reply = (await hostAsync(Op.DoFetch, index, DurableObjectId.hexOf(id), DurableObjectId.nameOf(id) ?? null,
    request.method, request.url, Headers.encode(request.headers), body)) as FetchReply;
  const [status, statusText, headers, responseBody, socketId] = reply;
  // The object accepted a WebSocket: the response carries its client end, for this worker to return.
  if (typeof socketId === 'number') return new Response(null, { status, statusText, headers: Headers.fromRaw(headers, 'immutable'), webSocket: relayedWebSocket(socketId) });
  return Response.fromHost(status, statusText, Headers.fromRaw(headers, 'immutable'),
    responseBody === null ? null : new Uint8ArrayCtor(responseBody), request.url, false);
}

function rpc(index: number, id: DurableObjectId, method: string, args: unknown[]): Promise<unknown> {
  let reply: Promise<unknown>;
  try {
    reply = hostAsync(Op.DoCall, index, DurableObjectId.hexOf(id), DurableObjectId.nameOf(id) ?? null, method, args);
  } catch (err) {
    return PromiseReject(err);
  }
  return reply;
}

export function createStub(index: number, id: DurableObjectId): unknown {
  const base = ObjectFreeze({
    id,
    name: DurableObjectId.nameOf(id),
    fetch: (input: unknown, init?: RequestInit) => stubFetch(index, id, input, init),
  });
  return new ProxyCtor(base, {
    get(target, property) {
      if (typeof property === 'symbol') return undefined;
      if (SetPrototypeHas(OWN, property)) return target[property as keyof typeof target];
      // Not thenable: `await stub` must give the stub, not call a remote "then".
      if (property === 'then') return undefined;
      return (...args: unknown[]) => {
        // Arguments cross by structured clone; anything that cannot (a function, a stream) fails here.
        for (let i = 0; i < args.length; i++) {
          const value = args[i];
          if (typeof value === 'function' || typeof value === 'symbol') {
            return PromiseReject(new DOMException(`Could not serialize argument ${i + 1} of ${property}(): functions cannot be passed to a Durable Object.`, 'DataCloneError'));
          }
        }
        return rpc(index, id, property, args);
      };
    },
    set() { return false; },
    has(_target, property) { return typeof property === 'string'; },
  });
}
