// Runs one scheduled event (a cron trigger): calls the module's scheduled(controller, env, ctx). The
// host reads the outcome as it reads a request's: an empty 200 once the handler's promise resolves, a
// failure (500) when it throws or rejects. waitUntil work runs on after it, as for a request.
// @see https://developers.cloudflare.com/workers/runtime-apis/handlers/scheduled/
import { ErrorKind, Op } from '../../shared/boundary.js';
import { hostNotify } from '../bootstrap/host.js';
import { ErrorCtor, PromisePrototypeThen, PromiseResolve, ReflectApply } from '../bootstrap/primordials.js';
import { describeThrown } from './dispatch-fetch.js';
import { ExecutionContext, type RequestState } from './execution-context.js';
import { installedEnv, installedHandler } from './worker-module.js';

export class ScheduledController {
  readonly scheduledTime: number;
  readonly cron: string;
  readonly type = 'scheduled';

  constructor(scheduledTime: number, cron: string) {
    this.scheduledTime = scheduledTime;
    this.cron = cron;
  }

  /** Islet never retries a scheduled run (nor does Workers for cron triggers), so there is nothing to turn off. */
  noRetry(): void {}
}
Object.defineProperty(ScheduledController.prototype, Symbol.toStringTag, { value: 'ScheduledController', configurable: true });

/** Host entry. Never throws: whatever the tenant does is reported as this event's failure. */
export function dispatchScheduled(reqId: number, cron: string, scheduledTime: number): void {
  const state: RequestState = { reqId, responded: false, waiting: 0, onIdle: () => hostNotify(Op.RequestDone, reqId) };
  const failed = (err: unknown): void => {
    hostNotify(Op.Fail, reqId, ErrorKind.Error, describeThrown(err));
    if (state.responded) return;
    state.responded = true;
    if (state.waiting === 0) state.onIdle();
  };
  const done = (): void => {
    const idle = state.waiting === 0;
    hostNotify(Op.Respond, reqId, 200, '', '', null, idle);
    state.responded = true;
  };
  const handler = installedHandler();
  if (handler === null) { failed(new ErrorCtor('No worker is installed in this isolate.')); return; }
  let result: unknown;
  try {
    const scheduled = (handler.self as { scheduled?: unknown }).scheduled;
    if (typeof scheduled !== 'function') throw new ErrorCtor('Handler does not export a scheduled() function.');
    result = ReflectApply(scheduled, handler.self, [new ScheduledController(scheduledTime, cron), installedEnv(), new ExecutionContext(state)]);
    PromisePrototypeThen(PromiseResolve(result), done, failed);
  } catch (err) {
    failed(err);
  }
}
