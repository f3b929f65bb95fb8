// Fires cron triggers on time: one timer, for the trigger due next across every worker, never a timer
// per worker or per trigger. Times are UTC milliseconds. The clock is injectable so the schedule can
// be tested without waiting for minutes to pass.
//
// Missed runs: Cloudflare does not replay cron invocations that did not happen. Islet fires at most one
// catch-up run per trigger, and only when the server starts (catchUp): if the trigger's last due time
// is within the last 15 minutes and no run was recorded for it, it runs once with that scheduledTime.
// Runs missed longer ago, and every earlier missed run, are dropped. A run in progress is never
// overlapped by its own catch-up, since both happen in this one process.
import { parseCron, type CronSchedule } from './cron-expression.js';

export interface SchedulerClock {
  now(): number;
  setTimer(fire: () => void, ms: number): unknown;
  clearTimer(timer: unknown): void;
}

export const SYSTEM_CLOCK: SchedulerClock = {
  now: () => Date.now(),
  setTimer: (fire, ms) => {
    const timer = setTimeout(fire, ms);
    // A schedule alone does not keep a process alive: the server it belongs to does.
    timer.unref();
    return timer;
  },
  clearTimer: (timer) => clearTimeout(timer as NodeJS.Timeout),
};

/** How far back a missed run is still made up for when the server starts. */
export const CATCH_UP_WINDOW_MS = 15 * 60_000;
/** setTimeout's longest delay; a later trigger is re-armed when this one fires. */
const MAX_DELAY_MS = 2 ** 31 - 1;

/** Runs `worker`'s scheduled() for `cron`, as due at `scheduledTime`. Called from the timer; must not throw. */
export type FireTrigger = (worker: string, cron: string, scheduledTime: number) => void;

interface Trigger {
  readonly worker: string;
  readonly schedule: CronSchedule;
  /** When it is next due; null when it never will be. */
  due: number | null;
}

/**
 * The run a trigger missed while the server was down, if it is to be made up for: its latest due time
 * at or before `now`, when that is within `windowMs` and later than the last recorded run (`lastRun`,
 * null when it never ran: a trigger that never ran has nothing to make up).
 */
export function missedRun(schedule: CronSchedule, lastRun: number | null, now: number, windowMs = CATCH_UP_WINDOW_MS): number | null {
  if (lastRun === null) return null;
  const previous = schedule.previous(now);
  if (previous === null || previous <= lastRun || now - previous > windowMs) return null;
  return previous;
}

export class CronScheduler {
  readonly #clock: SchedulerClock;
  readonly #fire: FireTrigger;
  readonly #triggers = new Map<string, Trigger[]>();
  #timer: unknown = null;
  #closed = false;

  constructor(fire: FireTrigger, clock: SchedulerClock = SYSTEM_CLOCK) {
    this.#fire = fire;
    this.#clock = clock;
  }

  /** The worker's triggers from now on (replacing any it had); [] removes them. Expressions were checked at deploy. */
  set(worker: string, crons: readonly string[]): void {
    const now = this.#clock.now();
    if (crons.length === 0) this.#triggers.delete(worker);
    else {
      this.#triggers.set(worker, crons.map((cron) => {
        const schedule = parseCron(cron);
        return { worker, schedule, due: schedule.next(now) };
      }));
    }
    this.#arm();
  }

  delete(worker: string): void {
    this.set(worker, []);
  }

  /** The triggers of every worker, with when each is next due (for tests and the admin API). */
  upcoming(): { worker: string; cron: string; due: number | null }[] {
    return [...this.#triggers.values()].flat().map((t) => ({ worker: t.worker, cron: t.schedule.expression, due: t.due }));
  }

  /** Fires the one catch-up run each trigger is owed (see missedRun); call once, when the server starts. */
  catchUp(lastRun: (worker: string, cron: string) => number | null): void {
    const now = this.#clock.now();
    for (const trigger of [...this.#triggers.values()].flat()) {
      const missed = missedRun(trigger.schedule, lastRun(trigger.worker, trigger.schedule.expression), now);
      if (missed !== null) this.#fire(trigger.worker, trigger.schedule.expression, missed);
    }
  }

  close(): void {
    this.#closed = true;
    if (this.#timer !== null) this.#clock.clearTimer(this.#timer);
    this.#timer = null;
  }

  /** (Re)arms the one timer for the earliest due trigger. */
  #arm(): void {
    if (this.#closed) return;
    let earliest: number | null = null;
    for (const list of this.#triggers.values()) {
      for (const t of list) if (t.due !== null && (earliest === null || t.due < earliest)) earliest = t.due;
    }
    // Re-armed even for the same due time: the delay is read from the clock now, which may have moved.
    if (this.#timer !== null) this.#clock.clearTimer(this.#timer);
    this.#timer = null;
    if (earliest === null) return;
    const delay = Math.min(MAX_DELAY_MS, Math.max(0, earliest - this.#clock.now()));
    this.#timer = this.#clock.setTimer(() => this.#tick(), delay);
  }

  /**
   * Fires every trigger that is due. A trigger that fell behind (the process was busy or asleep) fires
   * once, for the time it was due, and then waits for its next time after now: runs in between are
   * not replayed.
   */
  #tick(): void {
    this.#timer = null;
    const now = this.#clock.now();
    for (const list of this.#triggers.values()) {
      for (const t of list) {
        if (t.due === null || t.due > now) continue;
        const due = t.due;
        t.due = t.schedule.next(now);
        this.#fire(t.worker, t.schedule.expression, due);
      }
    }
    this.#arm();
  }
}
