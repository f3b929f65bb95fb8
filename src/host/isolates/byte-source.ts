// A body that streams: the one shape every layer hands on (the front door, an isolate, an engine), so
// a chunk is only asked for when the next reader down the line can take it.

export interface ByteSource {
  /** The next chunk, or null at the end; rejects when the body failed. Never called again before it settles. */
  read(): Promise<Uint8Array | null>;
  /** Nobody will read further: whatever produces the bytes may stop. */
  cancel(reason: string): void;
  /**
   * A request body's: the status the front door answered the client with itself, instead of the
   * worker (413 for a body past the limit), so the request is reported as the client saw it.
   */
  readonly answered?: number | undefined;
}

export function isByteSource(body: unknown): body is ByteSource {
  return typeof body === 'object' && body !== null && !(body instanceof ArrayBuffer) && !ArrayBuffer.isView(body)
    && typeof (body as ByteSource).read === 'function';
}
