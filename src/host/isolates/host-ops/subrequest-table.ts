// The subrequests of one worker instance, each behind a handle the isolate holds (Op.FetchStart and
// friends). A subrequest stays here until its response body is read to the end, canceled or sent on
// to the client, it is aborted, its request's context ends, or the instance goes; whichever comes
// first aborts undici's request if it is still running, so the origin sees the connection close.
import { ErrorKind, type HostReply } from '../../../shared/boundary.js';
import type { Outbound, SubrequestHead, SubrequestInit } from '../../outbound/outbound-fetch.js';
import { RequestBodyFeed } from '../../outbound/request-body-feed.js';
import { SubrequestBody } from '../../outbound/subrequest-body.js';
import type { ByteSource } from '../byte-source.js';
import type { RequestContext } from '../request-context.js';
import { fail, ok, typeError } from './reply.js';

/** What `arrayBuffer()`, `text()` and `json()` gather on the host; a body read chunk by chunk has no cap. */
const MAX_BUFFERED_BODY = 100 * 1024 * 1024;

interface Subrequest {
  readonly ctx: RequestContext;
  readonly controller: AbortController;
  readonly feed: RequestBodyFeed | null;
  readonly head: Promise<SubrequestHead | HostReply>;
  body: SubrequestBody | null;
  reading: boolean;
}

/**
 * isolated-vm copies a whole ArrayBuffer: hand it exactly the chunk's bytes. (Uint8Array's slice, not
 * the chunk's own: a Buffer's slice is a view of the same memory, e.g. of a whole IPC message.)
 */
function exact(chunk: Uint8Array): ArrayBuffer {
  return chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength && chunk.buffer instanceof ArrayBuffer ? chunk.buffer
    : Uint8Array.prototype.slice.call(chunk).buffer as ArrayBuffer;
}

function isHead(value: SubrequestHead | HostReply): value is SubrequestHead {
  return value !== undefined && !Array.isArray(value);
}

/** @see https://developers.cloudflare.com/workers/runtime-apis/handlers/fetch/ (I/O objects are per request) */
export const FOREIGN_REQUEST = 'Cannot perform I/O on behalf of a different request. I/O objects (such as streams, request/response bodies, and others) created in the context of one request handler cannot be accessed from a different request\'s handler.';

class ForeignRequestError extends Error {}

/** Answers a table operation, turning a use from the wrong request into the TypeError Workers throws. */
export function guarded<T extends Promise<HostReply> | HostReply>(operation: () => T): T | HostReply {
  try {
    return operation();
  } catch (err) {
    if (err instanceof ForeignRequestError) return typeError(FOREIGN_REQUEST);
    throw err;
  }
}

/**
 * Sends a parsed subrequest and resolves at its head; never rejects. The network (Outbound.send) by
 * default; a service binding sends to another worker instead (bindings/service).
 */
export type SubrequestSender = (init: SubrequestInit, body: string | ArrayBuffer | AsyncIterable<Uint8Array> | null,
  controller: AbortController, ctx: RequestContext) => Promise<SubrequestHead | HostReply>;

export class SubrequestTable {
  readonly #current: () => RequestContext | null;
  readonly #outbound: Outbound;
  readonly #entries = new Map<number, Subrequest>();
  #nextHandle = 1;

  constructor(outbound: Outbound, current: () => RequestContext | null) {
    this.#current = current;
    this.#outbound = outbound;
  }

  get size(): number { return this.#entries.size; }

  /** (method, url, headers, body, redirect) from the isolate: starts the subrequest and answers its handle. */
  start(ctx: RequestContext, args: unknown[], sender?: SubrequestSender): HostReply {
    const init = this.#outbound.parse(args);
    if (init === undefined || Array.isArray(init)) return init;
    const controller = new AbortController();
    const feed = init.body === true ? new RequestBodyFeed() : null;
    const handle = this.#nextHandle++;
    const body = feed ?? (init.body === true ? null : init.body);
    const head = sender === undefined ? this.#outbound.send(init, body, controller, ctx.hops, ctx.traceId, ctx.spanId) : sender(init, body, controller, ctx);
    const entry: Subrequest = { ctx, controller, feed, head, body: null, reading: false };
    this.#entries.set(handle, entry);
    void head.then((outcome) => {
      if (this.#entries.get(handle) !== entry) {
        // Aborted while the head was on its way: nobody will read the body.
        if (isHead(outcome)) void outcome.body?.cancel().catch(() => {});
        return;
      }
      if (isHead(outcome) && outcome.body !== null) entry.body = new SubrequestBody(outcome.body, () => controller.abort());
      else this.#release(handle, null);
    });
    return ok(handle);
  }

  /** The head, once it arrives: [status, statusText, headers, hasBody, url, redirected]. */
  response(handle: unknown): Promise<HostReply> | HostReply {
    const entry = this.#get(handle);
    if (entry === null) return typeError('The subrequest is no longer available.');
    return entry.head.then((outcome) => {
      if (!isHead(outcome)) return outcome;
      if (entry.controller.signal.aborted) return fail(ErrorKind.Error, 'The subrequest was aborted.');
      return ok([outcome.status, outcome.statusText, outcome.headers, outcome.body !== null, outcome.url, outcome.redirected]);
    });
  }

  /** The next chunk of a streamed request body, or its end (null); answered once undici has taken it. */
  write(handle: unknown, chunk: unknown): Promise<HostReply> | HostReply {
    const entry = this.#get(handle);
    if (entry === null || entry.feed === null) return typeError('The subrequest no longer takes its body.');
    if (chunk !== null && !(chunk instanceof ArrayBuffer)) {
      this.abort(handle);
      return typeError('invalid chunk');
    }
    return entry.feed.write(chunk === null ? null : new Uint8Array(chunk)).then(() => ok(null), (err: Error) => typeError(err.message));
  }

  /** The next chunk of the response body (or, `whole`, all the rest); null at its end, when the handle is released. */
  read(handle: unknown, whole: unknown): Promise<HostReply> | HostReply {
    const entry = this.#get(handle);
    const body = entry?.body ?? null;
    if (entry === null || body === null) return typeError('The subrequest response body is no longer available.');
    if (entry.reading) return typeError('The subrequest response body is already being read.');
    entry.reading = true;
    const read = whole === true ? body.readAll(MAX_BUFFERED_BODY) : body.read();
    return read.then((chunk): HostReply => {
      entry.reading = false;
      if (chunk === null || whole === true) this.#release(handle as number, null);
      return ok(chunk === null ? null : exact(chunk));
    }, (err: unknown): HostReply => {
      entry.reading = false;
      this.#release(handle as number, 'failed');
      return fail(err instanceof RangeError ? ErrorKind.RangeError : ErrorKind.TypeError,
        err instanceof Error ? err.message : 'The subrequest response body could not be read.');
    });
  }

  /** The worker aborted the subrequest or canceled its body: undici's request goes, whatever it was doing. */
  abort(handle: unknown): HostReply {
    if (this.#get(handle) !== null) this.#release(handle as number, 'aborted');
    return ok(null);
  }

  /**
   * The response body, taken out of the table to be sent on to the client as it is: from now on it
   * belongs to that response (the client going away cancels it), not to the request's context.
   */
  takeBody(handle: unknown, ctx: RequestContext): ByteSource | null {
    const entry = typeof handle === 'number' ? this.#entries.get(handle) ?? null : null;
    if (entry === null || entry.ctx !== ctx || entry.body === null || entry.reading) return null;
    this.#entries.delete(handle as number);
    return entry.body;
  }

  /** The request's context is over: its subrequests still running are aborted. */
  endRequest(ctx: RequestContext): void {
    for (const [handle, entry] of this.#entries) if (entry.ctx === ctx) this.#release(handle, 'the request ended');
  }

  /** The instance is gone: every subrequest is aborted. */
  close(): void {
    for (const handle of [...this.#entries.keys()]) this.#release(handle, 'the worker stopped');
  }

  /**
   * The subrequest behind a handle, for the request now running. As on Workers, an I/O object belongs
   * to the request that made it: another request of the same isolate (which could have been handed it
   * through a global) gets the error Workers gives.
   */
  #get(handle: unknown): Subrequest | null {
    const entry = typeof handle === 'number' ? this.#entries.get(handle) ?? null : null;
    if (entry !== null && entry.ctx !== this.#current()) throw new ForeignRequestError();
    return entry;
  }

  /** Forgets the subrequest; with a reason, aborts what is left of it first. */
  #release(handle: number, reason: string | null): void {
    const entry = this.#entries.get(handle);
    if (entry === undefined) return;
    this.#entries.delete(handle);
    // A write still waiting would otherwise never be answered (the origin answered before taking the whole body).
    entry.feed?.fail(new TypeError(reason === null ? 'The subrequest is over.' : `The subrequest was aborted (${reason}).`));
    if (reason === null) return;
    if (entry.body !== null) entry.body.cancel(reason);
    else entry.controller.abort();
  }
}
