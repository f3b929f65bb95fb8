// @see https://html.spec.whatwg.org/multipage/timers-and-user-prompts.html#timers
// The host owns the clock: it fires timers by calling the runtime's fireTimer entry, which charges the
// callback's CPU time to the request that set the timer.
import { Op } from '../../../shared/boundary.js';
import { hostNotify } from '../../bootstrap/host.js';
import {
  MapCtor, MapPrototypeDelete, MapPrototypeGet, MapPrototypeSet, MathMin, NumberIsFinite, ReflectApply, TypeErrorCtor,
  globalThisRef,
} from '../../bootstrap/primordials.js';
import { console } from '../console/console.js';

interface Timer { callback: (...args: unknown[]) => void; args: unknown[]; repeat: boolean }
const timers = new MapCtor<number, Timer>();
let nextId = 1;

// The spec converts the timeout to a WebIDL long; a negative or unusable one means 0.
const MAX_DELAY = 2 ** 31 - 1;

function schedule(repeat: boolean, callback: unknown, delay: unknown, args: unknown[]): number {
  if (typeof callback !== 'function') {
    throw new TypeErrorCtor('The "callback" argument must be of type function.');
  }
  const id = nextId++;
  const n = Number(delay);
  const ms = NumberIsFinite(n) && n > 0 ? MathMin(n, MAX_DELAY) : 0;
  MapPrototypeSet(timers, id, { callback: callback as Timer['callback'], args, repeat });
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
  if (MapPrototypeDelete(timers, key)) hostNotify(Op.TimerClear, key);
}
export function clearInterval(id: unknown): void { clearTimeout(id); }

/** Host entry. */
export function fireTimer(id: number): void {
  const timer = MapPrototypeGet(timers, id);
  if (timer === undefined) return;
  if (!timer.repeat) MapPrototypeDelete(timers, id);
  try {
    // Timer callbacks run with the global object as `this`, as they do in browsers.
    ReflectApply(timer.callback, globalThisRef, timer.args);
  } catch (err) {
    console.error('Uncaught', err);
  }
}

/** Host entry: the request that owned these timers has ended. */
export function dropTimers(ids: number[]): void {
  for (let i = 0; i < ids.length; i++) MapPrototypeDelete(timers, ids[i]!);
}
