// A subrequest body that streams out of an isolate. undici iterates it as its connection takes the
// bytes; each chunk the isolate writes is accepted only once undici has asked for it, so at most one
// chunk waits here and the tenant's stream is read no faster than the origin takes it.

interface Queued { chunk: Uint8Array | null; taken: () => void; refused: (err: Error) => void }

export class RequestBodyFeed implements AsyncIterable<Uint8Array> {
  #queued: Queued | null = null;
  #wake: (() => void) | null = null;
  #ended = false;
  #failure: Error | null = null;

  /** Resolves once undici has taken `chunk` (null: the end); rejects when the subrequest no longer takes its body. */
  write(chunk: Uint8Array | null): Promise<void> {
    if (this.#failure !== null) return Promise.reject(this.#failure);
    if (this.#ended || this.#queued !== null) return Promise.reject(new TypeError('The subrequest body is not expecting a write.'));
    if (chunk === null) this.#ended = true;
    return new Promise<void>((taken, refused) => {
      this.#queued = { chunk, taken, refused };
      this.#wake?.();
    });
  }

  /** The body will not be completed: undici's read fails, and so does any write still waiting. */
  fail(err: Error): void {
    if (this.#failure !== null) return;
    this.#failure = err;
    const queued = this.#queued;
    this.#queued = null;
    queued?.refused(err);
    this.#wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    try {
      for (;;) {
        while (this.#queued === null) {
          if (this.#failure !== null) throw this.#failure;
          await new Promise<void>((resolve) => { this.#wake = resolve; });
          this.#wake = null;
        }
        const { chunk, taken } = this.#queued;
        this.#queued = null;
        taken();
        if (chunk === null) return;
        yield chunk;
      }
    } finally {
      // undici stopped reading (the subrequest ended or failed): later writes are refused.
      this.fail(new TypeError('The subrequest no longer takes its body.'));
    }
  }
}
