// Streamed bodies between the supervisor and an engine: response bodies out of an engine, request
// bodies into it. Both directions use the same four messages, keyed by the request's seq. The
// receiving side grants credit (a number of chunks) as its reader takes chunks, and the sending side
// reads from its source only while it holds credit, so at most BODY_WINDOW chunks of one body are ever
// in flight or queued, however fast the producer and however slow the consumer.
import type { ByteSource } from '../isolates/byte-source.js';
import type { ByteCount } from '../observability/usage/engine-usage.js';

export type BodyMessage =
  /** The next chunk of the body; null: its end. */
  | { t: 'chunk'; seq: number; c: Uint8Array | null }
  /** The body failed at its source. */
  | { t: 'abort'; seq: number; m: string }
  /** The receiver can take `n` more chunks. */
  | { t: 'credit'; seq: number; n: number }
  /** The receiver will read no more. */
  | { t: 'cancel'; seq: number };

/** Chunks of one body that may be in flight or queued at once. */
export const BODY_WINDOW = 4;

/** The sending side: reads its source while it holds credit and sends what it reads. */
export class BodyPump {
  readonly #seq: number;
  readonly #source: ByteSource;
  readonly #send: (message: BodyMessage) => void;
  readonly #onEnd: () => void;
  /** Where the bytes sent are added, when they are metered. */
  counted: ByteCount | null = null;
  #credit = 0;
  #reading = false;
  #over = false;

  constructor(seq: number, source: ByteSource, send: (message: BodyMessage) => void, onEnd: () => void) {
    this.#seq = seq;
    this.#source = source;
    this.#send = send;
    this.#onEnd = onEnd;
  }

  credit(n: number): void {
    if (this.#over) return;
    this.#credit = Math.min(this.#credit + n, BODY_WINDOW);
    void this.#run();
  }

  /** The receiver went (or can no longer be reached): the source is canceled. */
  cancel(reason: string): void {
    if (this.#end()) this.#source.cancel(reason);
  }

  async #run(): Promise<void> {
    if (this.#reading) return;
    this.#reading = true;
    try {
      while (this.#credit > 0 && !this.#over) {
        this.#credit--;
        let chunk: Uint8Array | null;
        try {
          chunk = await this.#source.read();
        } catch (err) {
          if (this.#end()) this.#send({ t: 'abort', seq: this.#seq, m: err instanceof Error ? err.message : 'The body failed.' });
          return;
        }
        if (this.#over) return;
        if (chunk !== null && this.counted !== null) this.counted.bytes += chunk.byteLength;
        this.#send({ t: 'chunk', seq: this.#seq, c: chunk });
        if (chunk === null) { this.#end(); return; }
      }
    } finally {
      this.#reading = false;
    }
  }

  #end(): boolean {
    if (this.#over) return false;
    this.#over = true;
    this.#onEnd();
    return true;
  }
}

/** The receiving side: a ByteSource whose reads grant the sender credit. */
export class BodyReceiver implements ByteSource {
  readonly #seq: number;
  readonly #send: (message: BodyMessage) => void;
  readonly #onEnd: () => void;
  readonly #queue: (Uint8Array | null)[] = [];
  /** Where the bytes received are added, when they are metered. */
  counted: ByteCount | null = null;
  #waiting: { resolve: (chunk: Uint8Array | null) => void; reject: (err: Error) => void } | null = null;
  /** Credit granted and not yet used by a chunk. */
  #granted = 0;
  #started = false;
  #over = false;
  #failure: Error | null = null;

  constructor(seq: number, send: (message: BodyMessage) => void, onEnd: () => void) {
    this.#seq = seq;
    this.#send = send;
    this.#onEnd = onEnd;
  }

  read(): Promise<Uint8Array | null> {
    if (this.#queue.length > 0) {
      const chunk = this.#queue.shift()!;
      if (chunk !== null) this.#grant(1);
      return Promise.resolve(chunk);
    }
    if (this.#failure !== null) return Promise.reject(this.#failure);
    if (this.#over) return Promise.resolve(null);
    if (this.#waiting !== null) return Promise.reject(new Error('a read is already pending'));
    // Nothing is asked of the sender before the first read.
    if (!this.#started) {
      this.#started = true;
      this.#grant(BODY_WINDOW);
    }
    return new Promise((resolve, reject) => { this.#waiting = { resolve, reject }; });
  }

  /** A chunk from the sender; one it had no credit for breaks the protocol and fails the body. */
  push(chunk: Uint8Array | null): void {
    if (this.#over) return;
    if (this.#granted <= 0) {
      this.fail('The body was sent faster than it was asked for.');
      this.#send({ t: 'cancel', seq: this.#seq });
      return;
    }
    this.#granted--;
    if (chunk === null) this.#end();
    else if (this.counted !== null) this.counted.bytes += chunk.byteLength;
    const waiting = this.#waiting;
    if (waiting === null) { this.#queue.push(chunk); return; }
    this.#waiting = null;
    if (chunk !== null) this.#grant(1);
    waiting.resolve(chunk);
  }

  fail(message: string): void {
    if (!this.#end()) return;
    this.#failure = new Error(message);
    this.#queue.length = 0;
    const waiting = this.#waiting;
    this.#waiting = null;
    waiting?.reject(this.#failure);
  }

  cancel(): void {
    if (!this.#end()) return;
    this.#queue.length = 0;
    this.#send({ t: 'cancel', seq: this.#seq });
    const waiting = this.#waiting;
    this.#waiting = null;
    waiting?.resolve(null);
  }

  #grant(n: number): void {
    if (this.#over) return;
    this.#granted += n;
    this.#send({ t: 'credit', seq: this.#seq, n });
  }

  #end(): boolean {
    if (this.#over) return false;
    this.#over = true;
    this.#onEnd();
    return true;
  }
}

/** A body message as received from the other side, checked; null when malformed. */
export function parseBodyMessage(m: Record<string, unknown>): BodyMessage | null {
  const seq = m.seq;
  if (typeof seq !== 'number') return null;
  switch (m.t) {
    case 'chunk': return m.c === null || m.c instanceof Uint8Array ? { t: 'chunk', seq, c: m.c } : null;
    case 'abort': return { t: 'abort', seq, m: typeof m.m === 'string' ? m.m.slice(0, 1024) : 'The body failed.' };
    case 'credit': return typeof m.n === 'number' && Number.isInteger(m.n) && m.n > 0 ? { t: 'credit', seq, n: m.n } : null;
    case 'cancel': return { t: 'cancel', seq };
    default: return null;
  }
}
