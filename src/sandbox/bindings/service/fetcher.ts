// The Fetcher a service binding puts in env. It holds only a binding index, which the host resolves to
// the worker it granted; the target's name never enters the isolate. fetch() is the global fetch with
// the request dispatched to that worker instead of the network, so Request/Response handling, body
// streaming both ways and abort signals are the same code.
// @see https://developers.cloudflare.com/workers/runtime-apis/bindings/service-bindings/http/
import { Op } from '../../../shared/boundary.js';
import { hostAsync, hostCall } from '../../bootstrap/host.js';
import { PromiseReject, TypeErrorCtor } from '../../bootstrap/primordials.js';
import { DOMException } from '../../web/dom/dom-exception.js';
import { fetchWith, type FetchStarter } from '../../web/fetch/fetch.js';
import type { RequestInit } from '../../web/fetch/request.js';
import type { Response } from '../../web/fetch/response.js';

export class Fetcher {
  readonly #start: FetchStarter;

  constructor(index: number) {
    this.#start = (method, url, headers, body, redirect) => hostCall(Op.ServiceFetchStart, index, method, url, headers, body, redirect) as number;
  }

  fetch(input: unknown, init?: RequestInit): Promise<Response> {
    return fetchWith(this.#start, input, init);
  }

  connect(): never {
    throw new TypeErrorCtor('connect() on a service binding is not supported by Islet.');
  }
}
Object.defineProperty(Fetcher.prototype, Symbol.toStringTag, { value: 'Fetcher', configurable: true });

// Captured while the runtime boots, before any tenant code could replace the global.
const ProxyCtor = Proxy;

/** One JavaScript RPC call; arguments cross by structured clone, so anything that cannot fails here. */
function rpc(index: number, method: string, args: unknown[]): Promise<unknown> {
  for (let i = 0; i < args.length; i++) {
    const value = args[i];
    if (typeof value === 'function' || typeof value === 'symbol') {
      return PromiseReject(new DOMException(`Could not serialize argument ${i + 1} of ${method}(): functions cannot be passed over RPC.`, 'DataCloneError'));
    }
  }
  return hostAsync(Op.ServiceCall, index, method, args);
}

/**
 * What env holds for a service binding: the Fetcher, through a proxy that turns any other property
 * into an RPC method of the target's WorkerEntrypoint, as on Workers.
 * @see https://developers.cloudflare.com/workers/runtime-apis/bindings/service-bindings/rpc/
 */
export function serviceBinding(index: number): unknown {
  const fetcher = new Fetcher(index);
  const fetch = (input: unknown, init?: RequestInit) => fetcher.fetch(input, init);
  const connect = () => fetcher.connect();
  return new ProxyCtor(fetcher, {
    get(target, property) {
      if (property === 'fetch') return fetch;
      if (property === 'connect') return connect;
      if (typeof property === 'symbol') return (target as unknown as Record<symbol, unknown>)[property];
      // Not thenable: `await env.SERVICE` must give the binding, not call a remote "then".
      if (property === 'then') return undefined;
      return (...args: unknown[]) => rpc(index, property, args);
    },
    set() { return false; },
  });
}
