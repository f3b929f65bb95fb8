// A subrequest's response body as the host reads it: undici's stream, read one chunk per ask, so the
// origin's connection is read only as fast as the worker (or, when the worker sends the body on
// unread, its client) takes the bytes. Canceling it aborts the subrequest, closing the connection.
import type { ByteSource } from '../isolates/byte-source.js';

export class SubrequestBody implements ByteSource {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #abort: () => void;
  #over = false;

  constructor(stream: ReadableStream<Uint8Array>, abort: () => void) {
    this.#reader = stream.getReader();
    this.#abort = abort;
  }

  async read(): Promise<Uint8Array | null> {
    if (this.#over) return null;
    let result: Awaited<ReturnType<ReadableStreamDefaultReader<Uint8Array>['read']>>;
    try {
      result = await this.#reader.read();
    } catch {
      this.#over = true;
      throw new TypeError('Network connection lost while reading the subrequest response body.');
    }
    if (result.done) { this.#over = true; return null; }
    return result.value;
  }

  /** The rest in one buffer; past `limit` bytes the subrequest is aborted and this rejects with a RangeError. */
  async readAll(limit: number): Promise<Uint8Array> {
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (let chunk = await this.read(); chunk !== null; chunk = await this.read()) {
      total += chunk.byteLength;
      if (total > limit) {
        this.cancel('too large');
        throw new RangeError('Subrequest response body is too large.');
      }
      chunks.push(chunk);
    }
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
  }

  cancel(_reason: string): void {
    if (this.#over) return;
    this.#over = true;
    this.#abort();
    this.#reader.cancel().catch(() => {});
  }
}
