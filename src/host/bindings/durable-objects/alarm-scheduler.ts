// Fires Durable Object alarms from the alarm index: it looks for due entries every `pollMs` and hands
// each to `fire`, one run per object at a time. The index lives on disk, so alarms set before a restart
// fire after it; an object's host updates the entry (cleared, moved, or set for a retry) before the
// run it was given ends, so a finished run is never fired twice.
import type { LogSink } from '../../observability/log-sink.js';
import type { AlarmEntry, AlarmIndex } from '../../storage/durable-objects/alarm-index.js';

/** Runs the entry's alarm; null when its worker is not served here (the entry waits). */
export type FireAlarm = (entry: AlarmEntry) => Promise<unknown> | null;

export class AlarmScheduler {
  readonly #index: AlarmIndex;
  readonly #fire: FireAlarm;
  readonly #log: LogSink;
  readonly #timer: NodeJS.Timeout;
  readonly #running = new Set<string>();
  #closed = false;

  constructor(index: AlarmIndex, fire: FireAlarm, log: LogSink, pollMs = 250) {
    this.#index = index;
    this.#fire = fire;
    this.#log = log;
    this.#timer = setInterval(() => this.poll(), pollMs);
    this.#timer.unref();
  }

  /** Starts the run of every due alarm not already running; returns how many started. */
  poll(now = Date.now()): number {
    if (this.#closed) return 0;
    let due: AlarmEntry[];
    try {
      due = this.#index.due(now);
    } catch (err) {
      this.#log.workerError('durable-objects', null, `The alarm index could not be read: ${err instanceof Error ? err.message : String(err)}`);
      return 0;
    }
    let started = 0;
    for (const entry of due) {
      const key = `${entry.scope}\0${entry.worker}\0${entry.className}\0${entry.id}`;
      if (this.#running.has(key)) continue;
      const run = this.#fire(entry);
      if (run === null) continue;
      this.#running.add(key);
      started++;
      void run.then(() => this.#running.delete(key), () => this.#running.delete(key));
    }
    return started;
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#timer);
  }
}
