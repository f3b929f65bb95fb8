// @see https://fetch.spec.whatwg.org/#fetch-method
// Subrequests are made by the host, which applies the worker's routing, egress policy and limits.
import { Op } from '../../../shared/boundary.js';
import { hostAsync } from '../../bootstrap/host.js';
import { BodyHolder } from './body.js';
import { Headers } from './headers.js';
import { Request, type RequestInit } from './request.js';
import { Response } from './response.js';

// A buffered subrequest body may not exceed what a Workers request body may be.
const MAX_SUBREQUEST_BODY = 100 * 1024 * 1024;

type FetchReply = [number, string, string, ArrayBuffer | null, string, boolean];

export async function fetch(input: unknown, init?: RequestInit): Promise<Response> {
  const request = new Request(input, init);
  const body = await BodyHolder.bodyForHost(request, MAX_SUBREQUEST_BODY);
  const reply = (await hostAsync(Op.Fetch, request.method, request.url, Headers.encode(request.headers), body, request.redirect)) as FetchReply;
  const [status, statusText, headers, responseBody, url, redirected] = reply;
  return Response.fromHost(
    status, statusText, Headers.fromRaw(headers, 'immutable'),
    responseBody === null ? null : new Uint8Array(responseBody), url, redirected,
  );
}
