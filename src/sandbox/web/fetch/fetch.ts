// @see https://fetch.spec.whatwg.org/#fetch-method
// Subrequests are made by the host, which applies the worker's routing, egress policy and limits.
import { Op } from '../../../shared/boundary.js';
import { hostAsync } from '../../bootstrap/host.js';
import { PromiseCtor, PromisePrototypeThen } from '../../bootstrap/primordials.js';
import { addAbortAlgorithm } from '../dom/abort.js';
import { BodyHolder } from './body.js';
import { Headers } from './headers.js';
import { Request, type RequestInit } from './request.js';
import { Response } from './response.js';

// A buffered subrequest body may not exceed what a Workers request body may be.
const MAX_SUBREQUEST_BODY = 100 * 1024 * 1024;

type FetchReply = [number, string, string, ArrayBuffer | null, string, boolean];

export async function fetch(input: unknown, init?: RequestInit): Promise<Response> {
  const request = new Request(input, init);
  // Steps 4-5 of the fetch method: an aborted signal rejects with its reason, before and during the fetch.
  const signal = request.signal;
  if (signal.aborted) throw signal.reason;
  const body = await BodyHolder.bodyForHost(request, MAX_SUBREQUEST_BODY);
  const pending = hostAsync(Op.Fetch, request.method, request.url, Headers.encode(request.headers), body, request.redirect);
  // The host's request is not cancelled yet; the tenant's promise settles with the abort reason at once.
  const reply = (await new PromiseCtor<unknown>((resolve, reject) => {
    addAbortAlgorithm(signal, () => reject(signal.reason));
    PromisePrototypeThen(pending, resolve, reject);
  })) as FetchReply;
  const [status, statusText, headers, responseBody, url, redirected] = reply;
  return Response.fromHost(
    status, statusText, Headers.fromRaw(headers, 'immutable'),
    responseBody === null ? null : new Uint8Array(responseBody), url, redirected,
  );
}
