// Messages between the supervisor and an engine leave in batches: everything queued in one turn of the
// event loop goes as one IPC message. Each IPC message is a serialization and a write on one side and a
// read and a parse on the other; under load, dozens of requests and responses arrive per turn, and
// paying those costs once per turn instead of once per message is what keeps the process boundary cheap.

export interface Batch<T> { t: 'batch'; m: T[] }

export class MessageBatcher<T> {
  readonly #write: (message: T | Batch<T>, done?: () => void) => void;
  #pending: T[] = [];
  #scheduled = false;

  constructor(write: (message: T | Batch<T>, done?: () => void) => void) {
    this.#write = write;
  }

  send(message: T): void {
    this.#pending.push(message);
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(this.#flush);
  }

  /** Sends what is queued and then `message` at once; `done` runs when the last is written. */
  sendNow(message: T, done?: () => void): void {
    this.#flush();
    this.#write(message, done);
  }

  readonly #flush = (): void => {
    this.#scheduled = false;
    const pending = this.#pending;
    if (pending.length === 0) return;
    this.#pending = [];
    this.#write(pending.length === 1 ? pending[0]! : { t: 'batch', m: pending });
  };
}

/** Calls `each` for every message a received one carries (checked as `unknown`: the other side may be hostile). */
export function unbatch(message: unknown, each: (message: unknown) => void): void {
  if (typeof message === 'object' && message !== null && (message as { t?: unknown }).t === 'batch') {
    const inner = (message as { m?: unknown }).m;
    if (Array.isArray(inner)) for (const m of inner) each(m);
    return;
  }
  each(message);
}
