// Where the JSON log's lines go: gathered for a few milliseconds and written to a file descriptor
// (stdout) as one chunk, off the main thread (fs.write runs on libuv's pool), one write at a time. A
// request pays an array push, and a busy server one write per batch rather than per event-loop turn
// (each write is a hand-off to the pool and back). pino's own sonic-boom measured ~4 µs a line more
// here: it takes the byte length of its growing buffer on every write. A reader that falls behind (a stalled pipe) must
// neither block the server (Node makes stdout pipes blocking on Linux) nor grow its memory: past
// `maxBufferedBytes` unwritten, lines are dropped, and one line says how many once writing resumes.
import { write } from 'node:fs';

/** Unwritten characters held before lines are dropped. */
export const MAX_BUFFERED = 16 * 1024 * 1024;
/** A non-blocking descriptor that is full (EAGAIN) is tried again after this long. */
const RETRY_MS = 10;
/** How long lines wait to be written with the ones that follow: a log line may be this late. */
const BATCH_MS = 10;

export class BatchedLines {
  readonly #fd: number;
  readonly #maxBuffered: number;
  #pending: string[] = [];
  #pendingLength = 0;
  #scheduled = false;
  /** A write on its way: the rest of the batch it is writing. */
  #writing: Buffer | null = null;
  #dropped = 0;
  #failed = false;

  constructor(fd: number, maxBuffered = MAX_BUFFERED) {
    this.#fd = fd;
    this.#maxBuffered = maxBuffered;
  }

  /** One line, ending in "\n", as pino hands it over. */
  write(line: string): void {
    if (this.#failed) return;
    if (this.#pendingLength + (this.#writing?.length ?? 0) > this.#maxBuffered) {
      this.#dropped++;
      return;
    }
    this.#pending.push(line);
    this.#pendingLength += line.length;
    if (this.#writing === null) this.#schedule();
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setTimeout(() => this.#flush(), BATCH_MS);
  }

  #take(): Buffer | null {
    if (this.#dropped > 0) {
      this.#pending.unshift(`${JSON.stringify({ level: 'warn', time: new Date().toISOString(), type: 'log-dropped', count: this.#dropped, msg: `${this.#dropped} log lines were dropped: the log's reader did not keep up.` })}\n`);
      this.#dropped = 0;
    }
    if (this.#pending.length === 0) return null;
    const data = Buffer.from(this.#pending.join(''));
    this.#pending = [];
    this.#pendingLength = 0;
    return data;
  }

  #flush(): void {
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
      if (this.#pending.length > 0 || this.#dropped > 0) this.#schedule();
    });
  }

  /** Resolves once every line written so far is out (or can no longer be). */
  async drain(): Promise<void> {
    while (!this.#failed && (this.#writing !== null || this.#pending.length > 0 || this.#dropped > 0)) {
      if (this.#writing === null && !this.#scheduled) this.#flush();
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
}
