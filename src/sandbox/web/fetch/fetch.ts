// @see https://fetch.spec.whatwg.org/#fetch-method
// Subrequests are made by the host, which applies the worker's routing, egress policy and limits. The
// promise settles when the response's head arrives; its body stays on the host and is read on demand
// (subrequest-body.ts). Aborting the signal aborts the host's request, and its body, too.
import { Op } from '../../../shared/boundary.js';
import { hostAsync, hostCall, hostNotify } from '../../bootstrap/host.js';
import { PromiseCtor, PromisePrototypeThen } from '../../bootstrap/primordials.js';
import { addAbortAlgorithm } from '../dom/abort.js';
import type { AnyReadableStream } from '../streams/streams.js';
import { BodyHolder } from './body.js';
import { Headers } from './headers.js';
import { Request, type RequestInit } from './request.js';
import { Response } from './response.js';
import { SubrequestResponseBody, writeRequestBody } from './subrequest-body.js';

type FetchHead = [number, string, string, boolean, string, boolean];

/** Starts a subrequest on the host and answers its handle: over the network, or to a service binding's worker. */
export type FetchStarter = (method: string, url: string, headers: string, body: string | ArrayBuffer | null | true, redirect: string) => number;

const overNetwork: FetchStarter = (method, url, headers, body, redirect) => hostCall(Op.FetchStart, method, url, headers, body, redirect) as number;

export function fetch(input: unknown, init?: RequestInit): Promise<Response> {
  return fetchWith(overNetwork, input, init);
}

/** The fetch method with the host's request started by `start`; everything after the handle is shared. */
export async function fetchWith(start: FetchStarter, input: unknown, init?: RequestInit): Promise<Response> {
  const request = new Request(input, init);
  // Steps 4-5 of the fetch method: an aborted signal rejects with its reason, before and during the fetch.
  const signal = request.signal;
  if (signal.aborted) throw signal.reason;
  // A stream body is written out as the origin takes it; any other crosses whole.
  let stream: AnyReadableStream | null = null;
  let body: string | ArrayBuffer | null | true;
  if (BodyHolder.hasStreamBody(request)) {
    stream = BodyHolder.takeStreamForHost(request);
    body = true;
  } else {
    body = BodyHolder.takeForHost(request);
  }
  const handle = start(request.method, request.url, Headers.encode(request.headers), body, request.redirect);
  return new PromiseCtor<Response>((resolve, reject) => {
    let abortBody: ((reason: unknown) => void) | null = null;
    // Abort the fetch: the host's request goes, and the response body, if there is one by now, errors.
    addAbortAlgorithm(signal, () => {
      hostNotify(Op.FetchAbort, handle);
      reject(signal.reason);
      if (abortBody !== null) abortBody(signal.reason);
    });
    if (stream !== null) writeRequestBody(handle, stream, reject);
    PromisePrototypeThen(hostAsync(Op.FetchResponse, handle), (reply) => {
      if (signal.aborted) return;
      const [status, statusText, headers, hasBody, url, redirected] = reply as FetchHead;
      let source: SubrequestResponseBody | null = null;
      if (hasBody) {
        const body = new SubrequestResponseBody(handle);
        source = body;
        abortBody = (reason) => body.abort(reason);
      }
      resolve(Response.fromHost(status, statusText, Headers.fromRaw(headers, 'immutable'), source, url, redirected));
    }, reject);
  });
}
