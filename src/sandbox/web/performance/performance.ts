// @see https://w3c.github.io/hr-time/
const timeOrigin = Date.now();

export class Performance {
  get timeOrigin(): number { return timeOrigin; }
  now(): number { return Date.now() - timeOrigin; }
  toJSON(): { timeOrigin: number } { return { timeOrigin }; }
}
Object.defineProperty(Performance.prototype, Symbol.toStringTag, { value: 'Performance', configurable: true });
export const performance = new Performance();
