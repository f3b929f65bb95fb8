// Where the JSON log's lines go: gathered for a few milliseconds and written to a file descriptor
// (stdout) as one chunk, off the main thread (fs.write runs on libuv's pool), one write at a time. A
// request pays an array push, and a busy server one write per batch rather than per event-loop turn
// (each write is a hand-off to the pool and back). pino's own sonic-boom measured ~4 µs a line more
// here: it takes the byte length of its growing buffer on every write. Lines are encoded into large
// buffers as they come rather than kept as strings and joined: the join of a batch of template-built
// strings and the garbage it left were two thirds of a line's cost. A reader that falls behind (a stalled pipe) must
// neither block the server (Node makes stdout pipes blocking on Linux) nor grow its memory: past
// `maxBufferedBytes` unwritten, lines are dropped, and one line says how many once writing resumes.
import { write } from 'node:fs';

/** Unwritten bytes held before lines are dropped. */
export const MAX_BUFFERED = 16 * 1024 * 1024;
/** A non-blocking descriptor that is full (EAGAIN) is tried again after this long. */
const RETRY_MS = 10;
/** How long lines wait to be written with the ones that follow: a log line may be this late. */
const BATCH_MS = 10;
/** Lines are encoded into buffers of this size (or one line's worst case, when longer). */
const CHUNK_BYTES = 64 * 1024;

export class BatchedLines {
  readonly #fd: number;
  readonly #maxBuffered: number;
  /** Filled buffers waiting for the next write, then the one being filled up to #used. */
  #full: Buffer[] = [];
  #chunk: Buffer | null = null;
  #used = 0;
  #pendingBytes = 0;
  #scheduled = false;
  /** A write on its way: the rest of the batch it is writing. */
  #writing: Buffer | null = null;
  #dropped = 0;
  #failed = false;
  #beforeFlush: (() => void) | null = null;

  constructor(fd: number, maxBuffered = MAX_BUFFERED) {
    this.#fd = fd;
    this.#maxBuffered = maxBuffered;
  }

  /** One line, ending in "\n", as pino hands it over. */
  write(line: string): void {
    if (this.#failed) return;
    if (this.#pendingBytes + (this.#writing?.length ?? 0) > this.#maxBuffered) {
      this.#dropped++;
      return;
    }
    this.#append(line);
    if (this.#writing === null) this.#schedule();
  }

  /**
   * `produce` writes lines that were put off until a batch goes (see JsonLog.request); it is called
   * before each batch is taken, and `wake` says it has something, so that a batch is scheduled.
   */
  beforeFlush(produce: () => void): void {
    this.#beforeFlush = produce;
  }

  wake(): void {
    if (!this.#failed) this.#schedule();
  }

  #append(line: string): void {
    // Three bytes per UTF-16 unit is UTF-8's worst case, so the line always fits where it is written.
    const worst = line.length * 3;
    let chunk = this.#chunk;
    if (chunk === null || chunk.length - this.#used < worst) {
      if (chunk !== null && this.#used > 0) this.#full.push(chunk.subarray(0, this.#used));
      chunk = this.#chunk = Buffer.allocUnsafe(Math.max(CHUNK_BYTES, worst));
      this.#used = 0;
    }
    const bytes = chunk.write(line, this.#used);
    this.#used += bytes;
    this.#pendingBytes += bytes;
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setTimeout(() => this.#flush(), BATCH_MS);
  }

  #take(): Buffer | null {
    if (this.#dropped > 0) {
      const notice = `${JSON.stringify({ level: 'warn', time: new Date().toISOString(), type: 'log-dropped', count: this.#dropped, msg: `${this.#dropped} log lines were dropped: the log's reader did not keep up.` })}\n`;
      this.#dropped = 0;
      // The notice goes before the lines that were kept after the drop, as the order they happened in.
      const rest = this.#takeBuffers();
      return rest === null ? Buffer.from(notice) : Buffer.concat([Buffer.from(notice), rest]);
    }
    return this.#takeBuffers();
  }

  #takeBuffers(): Buffer | null {
    if (this.#chunk !== null && this.#used > 0) this.#full.push(this.#chunk.subarray(0, this.#used));
    // The rest of the chunk is left unused: the write reads the part just taken while new lines come.
    this.#chunk = null;
    this.#used = 0;
    const full = this.#full;
    if (full.length === 0) return null;
    this.#full = [];
    this.#pendingBytes = 0;
    return full.length === 1 ? full[0]! : Buffer.concat(full);
  }

  #flush(): void {
    // Lines put off are made even while a write is on its way, so they count against the bound; made
    // before the flag is cleared, they do not schedule another batch.
    this.#beforeFlush?.();
    this.#scheduled = false;
    if (this.#writing !== null || this.#failed) return;
    const data = this.#take();
    if (data !== null) this.#send(data);
  }

  #send(data: Buffer): void {
    this.#writing = data;
    write(this.#fd, data, 0, data.length, null, (err, written) => {
      if (err !== null) {
        if (err.code === 'EAGAIN') { setTimeout(() => this.#send(data), RETRY_MS).unref(); return; }
        // The reader is gone (EPIPE) or the descriptor is closed: from now on lines go nowhere.
        this.#failed = true;
        this.#writing = null;
        return;
      }
      const rest = written < data.length ? data.subarray(written) : null;
      if (rest !== null) { this.#send(rest); return; }
      this.#writing = null;
      // What arrived meanwhile waits for the next batch, so a slow write does not turn into many small ones.
      if (this.#pendingBytes > 0 || this.#dropped > 0) this.#schedule();
    });
  }

  /** Resolves once every line written so far is out (or can no longer be). */
  async drain(): Promise<void> {
    this.#beforeFlush?.();
    while (!this.#failed && (this.#writing !== null || this.#pendingBytes > 0 || this.#dropped > 0)) {
      if (this.#writing === null && !this.#scheduled) this.#flush();
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
}
