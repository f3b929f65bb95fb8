// @see https://w3c.github.io/hr-time/
import { DateNow } from '../../bootstrap/primordials.js';

const timeOrigin = DateNow();
// The wall clock can be stepped back; the monotonic clock the spec asks for never is.
let last = 0;

export class Performance {
  get timeOrigin(): number { return timeOrigin; }
  now(): number {
    const now = DateNow() - timeOrigin;
    if (now > last) last = now;
    return last;
  }
  toJSON(): { timeOrigin: number } { return { timeOrigin }; }
}
Object.defineProperty(Performance.prototype, Symbol.toStringTag, { value: 'Performance', configurable: true });
export const performance = new Performance();
