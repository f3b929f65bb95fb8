// Cron expressions as Cloudflare's Cron Triggers read them: five fields (minute, hour, day of month,
// month, day of week), always in UTC, with the Quartz extensions Cloudflare documents: `L` and `W` in
// the day of month, `L` and `#` in the day of week, three-letter month and day names, and weekdays
// numbered 1-7 from Sunday. Parsing and matching are croner's; this file fixes its options to that
// dialect and refuses what Cloudflare does not accept (`?`, `@daily`-style nicknames, seconds).
// @see https://developers.cloudflare.com/workers/configuration/cron-triggers/#supported-cron-expressions
import { Cron } from 'croner';

export class CronExpressionError extends Error {
  override name = 'CronExpressionError';
  readonly code = 'ERR_CRON_EXPRESSION';
}

/** Cloudflare allows 250 Cron Triggers per account on paid plans; one worker needs no more. */
export const MAX_CRONS = 250;

const FIELDS = 5;

export interface CronSchedule {
  /** As written in the config (trimmed): the name runs are recorded and fired under. */
  readonly expression: string;
  /** The first run strictly after `after` (ms since the epoch), or null when there is none. */
  next(after: number): number | null;
  /** The last run at or before `atOrBefore`, or null when there is none. */
  previous(atOrBefore: number): number | null;
}

/** Throws CronExpressionError saying what is wrong, in words a deployer can act on. */
export function parseCron(text: string): CronSchedule {
  const expression = text.trim().replace(/\s+/g, ' ');
  if (expression === '') throw new CronExpressionError('a cron expression cannot be empty');
  if (expression.startsWith('@')) throw new CronExpressionError(`"${expression}": nicknames like @daily are not supported; write the five fields ("0 0 * * *")`);
  const fields = expression.split(' ');
  if (fields.length !== FIELDS) {
    throw new CronExpressionError(`"${expression}" has ${fields.length} fields; a cron trigger has five: minute hour day-of-month month day-of-week`);
  }
  if (expression.includes('?')) throw new CronExpressionError(`"${expression}": "?" is not supported; use "*"`);
  // croner also takes 0 and 8 for Sunday; Cloudflare's weekdays are 1-7 only. Steps and "#n" are not weekdays.
  const weekdays = fields[4]!.replace(/\/\d+/g, '').replace(/#\d+/g, '').match(/\d+/g) ?? [];
  if (weekdays.some((day) => Number(day) < 1 || Number(day) > 7)) {
    throw new CronExpressionError(`"${expression}" is not a valid cron expression: weekdays are 1-7 (Sunday to Saturday) or SUN-SAT`);
  }
  let cron: Cron;
  try {
    cron = new Cron(expression, { mode: '5-part', alternativeWeekdays: true, timezone: 'UTC', paused: true });
  } catch (err) {
    const reason = err instanceof Error ? err.message.replace(/^CronPattern: /, '') : String(err);
    throw new CronExpressionError(`"${expression}" is not a valid cron expression: ${reason}`);
  }
  // "0 0 31 2 *" parses but never comes: refuse it rather than keep a trigger that cannot fire.
  if (cron.nextRun(new Date()) === null) throw new CronExpressionError(`"${expression}" never matches a date`);
  return {
    expression,
    next(after) {
      return cron.nextRun(new Date(after))?.getTime() ?? null;
    },
    previous(atOrBefore) {
      // previousRuns looks strictly before its reference, which it truncates to the second; runs fall
      // on second 0, so one second later makes a run exactly at `atOrBefore` count.
      return cron.previousRuns(1, new Date(atOrBefore + 1000))[0]?.getTime() ?? null;
    },
  };
}

/** Checks a list of expressions (a config's `crons`): each valid, none repeated, at most MAX_CRONS. Returns them trimmed. */
export function parseCronList(list: readonly string[]): string[] {
  if (list.length > MAX_CRONS) throw new CronExpressionError(`${list.length} cron triggers; at most ${MAX_CRONS} are allowed`);
  const seen = new Set<string>();
  return list.map((text) => {
    const { expression } = parseCron(text);
    if (seen.has(expression)) throw new CronExpressionError(`"${expression}" is listed twice`);
    seen.add(expression);
    return expression;
  });
}
