// A request body handed to a worker as the client sends it. The node:http request stays paused; each
// read takes what has arrived (or waits for it), so the client is only read from as fast as the worker
// reads, and the 100 MB limit is counted as the bytes go by.
import type { IncomingMessage } from 'node:http';
import type { ByteSource } from '../isolates/byte-source.js';

export class RequestBodySource implements ByteSource {
  readonly #req: IncomingMessage;
  readonly #limit: number;
  readonly #onTooLarge: () => boolean;
  /** 413 once the body went past the limit and the client was answered that instead of by the worker. */
  answered: number | undefined;
  #total = 0;
  #done = false;
  #failure: Error | null = null;

  /** `onTooLarge` says whether the client could still be answered 413 (the worker had not answered yet). */
  constructor(req: IncomingMessage, limit: number, onTooLarge: () => boolean) {
    this.#req = req;
    this.#limit = limit;
    this.#onTooLarge = onTooLarge;
  }

  read(): Promise<Uint8Array | null> {
    if (this.#failure !== null) return Promise.reject(this.#failure);
    if (this.#done) return Promise.resolve(null);
    const req = this.#req;
    return new Promise((resolve, reject) => {
      const cleanup = () => {
        req.off('readable', attempt);
        req.off('end', ended);
        req.off('error', gone);
        req.off('close', closed);
      };
      const attempt = () => {
        const chunk = req.read() as Buffer | null;
        if (chunk === null) return;
        cleanup();
        this.#total += chunk.byteLength;
        if (this.#total > this.#limit) {
          this.#failure = new TypeError(`The request body exceeds the limit of ${this.#limit} bytes.`);
          if (this.#onTooLarge()) this.answered = 413;
          reject(this.#failure);
          return;
        }
        resolve(chunk);
      };
      const ended = () => {
        cleanup();
        this.#done = true;
        resolve(null);
      };
      const gone = () => {
        cleanup();
        this.#failure = new TypeError('The client disconnected before sending the whole request body.');
        reject(this.#failure);
      };
      const closed = () => { if (!req.complete) gone(); };
      if (req.readableEnded) { ended(); return; }
      // Gone before this read began (a body node:http could not parse is answered 400 and its socket
      // destroyed at once): no event will come, and waiting would hold the worker to its wall-clock limit.
      if (req.destroyed) { gone(); return; }
      req.on('readable', attempt);
      req.on('end', ended);
      req.on('error', gone);
      req.on('close', closed);
      attempt();
    });
  }

  /** The rest is read and dropped (as node:http does for a body nobody read), so the connection can carry the next request. */
  cancel(): void {
    if (this.#done || this.#failure !== null) return;
    this.#done = true;
    this.#req.resume();
  }
}
