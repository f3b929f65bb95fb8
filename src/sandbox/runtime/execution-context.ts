// @see https://developers.cloudflare.com/workers/runtime-apis/context/
import { PromisePrototypeThen, PromiseResolve } from '../bootstrap/primordials.js';
import { console } from '../web/console/console.js';

export interface RequestState { reqId: number; responded: boolean; waiting: number; onIdle: () => void }

export class ExecutionContext {
  readonly #state: RequestState;
  constructor(state: RequestState) { this.#state = state; }

  waitUntil(promise: unknown): void {
    const state = this.#state;
    state.waiting++;
    const settled = () => {
      state.waiting--;
      if (state.waiting === 0 && state.responded) state.onIdle();
    };
    PromisePrototypeThen(PromiseResolve(promise), settled, (err: unknown) => {
      console.error('Uncaught (in promise) from waitUntil():', err);
      settled();
    });
  }
  passThroughOnException(): void {
    // There is no origin behind an Islet worker to pass through to; accepted for compatibility.
  }
  get props(): Record<string, never> { return {}; }
}
Object.defineProperty(ExecutionContext.prototype, Symbol.toStringTag, { value: 'ExecutionContext', configurable: true });
