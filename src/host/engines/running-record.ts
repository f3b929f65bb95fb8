// Whose code an engine is running, kept where the supervisor can still read it after the engine has
// died: an engine that V8 aborts cannot report anything itself, so the record must already be in the
// supervisor's pipe when the crash comes. The engine writes a record only when the version it enters
// differs from the last one written, and marks "none" once its thread has gone a short while without
// entering any isolate, so a stream of requests to one worker costs no write per request.
import { writeSync } from 'node:fs';

/**
 * Every isolate call is synchronous on the engine's main thread, so when a timer fires no tenant code
 * is running. A record of "running X" is therefore replaced by "none" after this long without calls.
 */
const IDLE_MS = 20;

/** Engine side: told before every isolate call. */
export class RunningRecorder {
  readonly #write: (record: string) => void;
  /** The version last recorded as running, or null when "none" was recorded. */
  #written: string | null = null;
  #calls = 0;
  #callsAtCheck = 0;
  #timer: NodeJS.Timeout | null = null;

  constructor(write: (record: string) => void) {
    this.#write = write;
  }

  /** Records into file descriptor `fd` (the engine's fd 3, a pipe the supervisor reads). */
  static toFd(fd: number): RunningRecorder {
    return new RunningRecorder((record) => {
      try {
        writeSync(fd, record);
      } catch {
        // A full pipe (the supervisor is not reading) loses a record rather than stalling requests.
      }
    });
  }

  enter(versionId: string): void {
    this.#calls++;
    if (this.#written !== versionId) {
      this.#written = versionId;
      this.#write(`E${versionId}\n`);
    }
    if (this.#timer === null) {
      this.#callsAtCheck = this.#calls;
      this.#timer = setTimeout(this.#check, IDLE_MS);
      this.#timer.unref();
    }
  }

  readonly #check = (): void => {
    if (this.#calls !== this.#callsAtCheck) {
      this.#callsAtCheck = this.#calls;
      this.#timer?.refresh();
      return;
    }
    this.#timer = null;
    if (this.#written !== null) {
      this.#written = null;
      this.#write('L\n');
    }
  };

  close(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }
}

/** Supervisor side: reads the records and knows the version running when the stream ended. */
export class RunningRecordReader {
  #partial = '';
  #running: string | null = null;

  push(chunk: Buffer | string): void {
    const text = this.#partial + chunk.toString();
    const end = text.lastIndexOf('\n');
    if (end === -1) { this.#partial = text; return; }
    this.#partial = text.slice(end + 1);
    const start = text.lastIndexOf('\n', end - 1) + 1;
    const record = text.slice(start, end);
    this.#running = record.startsWith('E') && record.length > 1 ? record.slice(1) : null;
  }

  /** The version whose code was running at the last record, or null. */
  get running(): string | null { return this.#running; }
}
