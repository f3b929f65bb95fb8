// The host's end of a response body that streams out of an isolate. Each read asks the isolate for one
// chunk (a `pullBody` call charged to the request), so the tenant's stream is read only as fast as the
// client takes the bytes. A stream that makes no progress for the idle limit is cut: a response that
// streams actively is never cut by the wall-clock limit, and a stalled one does not hold the request.
import type { ByteSource } from './byte-source.js';

export interface IsolateBodyHooks {
  /** Ask the isolate for the next chunk; it answers through `push` or `fail`, now or later. */
  pull(): void;
  /** Cancel the tenant's stream in the isolate. */
  cancel(): void;
  /** The stream is over: 'done' (read to its end), or why it was cut. */
  finished(outcome: 'done' | 'failed' | 'canceled' | 'stalled'): void;
}

export class StreamFailure extends Error {
  readonly code = 'ERR_BODY_STREAM';
}

export class IsolateBodyStream implements ByteSource {
  readonly #hooks: IsolateBodyHooks;
  readonly #idleMs: number;
  #pending: { resolve: (chunk: Uint8Array | null) => void; reject: (err: Error) => void } | null = null;
  #state: 'open' | 'done' | 'failed' = 'open';
  #error: StreamFailure | null = null;
  #idle: NodeJS.Timeout | null = null;

  constructor(hooks: IsolateBodyHooks, idleMs: number) {
    this.#hooks = hooks;
    this.#idleMs = idleMs;
    this.#touch();
  }

  get open(): boolean { return this.#state === 'open'; }
  /** A read is waiting for the isolate: the request depends on the tenant producing a chunk. */
  get awaitingChunk(): boolean { return this.#pending !== null; }

  read(): Promise<Uint8Array | null> {
    if (this.#state === 'done') return Promise.resolve(null);
    if (this.#state === 'failed') return Promise.reject(this.#error!);
    if (this.#pending !== null) return Promise.reject(new StreamFailure('a read is already pending'));
    const promise = new Promise<Uint8Array | null>((resolve, reject) => { this.#pending = { resolve, reject }; });
    this.#touch();
    this.#hooks.pull();
    return promise;
  }

  /** The isolate's answer to a pull: a chunk, or null at the end. Ignored when nothing asked. */
  push(chunk: ArrayBuffer | null): void {
    const pending = this.#pending;
    if (this.#state !== 'open' || pending === null) return;
    this.#pending = null;
    if (chunk === null) {
      this.#settle('done', null);
      pending.resolve(null);
      this.#hooks.finished('done');
      return;
    }
    this.#touch();
    pending.resolve(Buffer.from(chunk));
  }

  /** The tenant's stream errored (its isolate has already let go of it). */
  fail(message: string): void {
    if (this.#settle('failed', new StreamFailure(message))) this.#hooks.finished('failed');
  }

  /** The client went away. */
  cancel(reason: string): void {
    if (!this.#settle('failed', new StreamFailure(reason))) return;
    this.#hooks.cancel();
    this.#hooks.finished('canceled');
  }

  /** The request ended under the stream (a limit, the isolate going): the client's response is cut. */
  abort(reason: string): void {
    if (!this.#settle('failed', new StreamFailure(reason))) return;
    this.#hooks.cancel();
  }

  #settle(state: 'done' | 'failed', error: StreamFailure | null): boolean {
    if (this.#state !== 'open') return false;
    this.#state = state;
    this.#error = error;
    if (this.#idle !== null) clearTimeout(this.#idle);
    this.#idle = null;
    const pending = this.#pending;
    this.#pending = null;
    if (pending !== null && error !== null) pending.reject(error);
    return true;
  }

  #touch(): void {
    if (this.#idle !== null) clearTimeout(this.#idle);
    this.#idle = setTimeout(() => {
      this.#idle = null;
      if (!this.#settle('failed', new StreamFailure(`The response body made no progress for ${this.#idleMs} ms.`))) return;
      this.#hooks.cancel();
      this.#hooks.finished('stalled');
    }, this.#idleMs);
  }
}
