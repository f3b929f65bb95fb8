// @see https://html.spec.whatwg.org/multipage/timers-and-user-prompts.html#timers
// The host owns the clock: it fires timers by calling the runtime's fireTimer entry, which charges the
// callback's CPU time to the request that set the timer.
import { Op } from '../../../shared/boundary.js';
import { hostNotify } from '../../bootstrap/host.js';
import { console } from '../console/console.js';

interface Timer { callback: (...args: unknown[]) => void; args: unknown[]; repeat: boolean }
const timers = new Map<number, Timer>();
let nextId = 1;

function schedule(repeat: boolean, callback: unknown, delay: unknown, args: unknown[]): number {
  if (typeof callback !== 'function') {
    throw new TypeError('The "callback" argument must be of type function.');
  }
  const id = nextId++;
  const ms = Math.max(0, Math.min(Number(delay) || 0, 2 ** 31 - 1));
  timers.set(id, { callback: callback as Timer['callback'], args, repeat });
  hostNotify(Op.TimerSet, id, ms, repeat);
  return id;
}

export function setTimeout(callback: unknown, delay?: unknown, ...args: unknown[]): number {
  return schedule(false, callback, delay, args);
}
export function setInterval(callback: unknown, delay?: unknown, ...args: unknown[]): number {
  return schedule(true, callback, delay, args);
}
export function clearTimeout(id: unknown): void {
  const key = Number(id);
  if (timers.delete(key)) hostNotify(Op.TimerClear, key);
}
export const clearInterval = clearTimeout;

/** Host entry. */
export function fireTimer(id: number): void {
  const timer = timers.get(id);
  if (timer === undefined) return;
  if (!timer.repeat) timers.delete(id);
  try {
    timer.callback(...timer.args);
  } catch (err) {
    console.error('Uncaught', err);
  }
}

/** Host entry: the request that owned these timers has ended. */
export function dropTimers(ids: number[]): void { for (const id of ids) timers.delete(id); }
