// Runs one queue event: calls the module's queue(batch, env, ctx) with a MessageBatch of the messages
// the host delivers, and reports back, per message, whether ack() or retry() was called (the first
// call on a message wins; ackAll()/retryAll() decide the messages not decided yet) and whether the
// handler succeeded. The host settles the messages from that (queue-dispatcher.ts).
// @see https://developers.cloudflare.com/queues/configuration/javascript-apis/#consumer
import { Op } from '../../shared/boundary.js';
import { settle } from '../bindings/durable-objects/object-events.js';
import { hostNotify } from '../bootstrap/host.js';
import { ErrorCtor, NumberIsFinite, ObjectFreeze, PromisePrototypeThen, PromiseResolve, RangeErrorCtor, ReflectApply } from '../bootstrap/primordials.js';
import { describeThrown } from './dispatch-fetch.js';
import { ExecutionContext, type RequestState } from './execution-context.js';
import { installedEnv, installedHandler } from './worker-module.js';

// Captured while the runtime boots, before any tenant code could replace the global.
const DateCtor = Date;
const NONE = 0;
const ACK = 1;
const RETRY = 2;

interface Decisions { decisions: number[]; delays: (number | null)[] }

function retryDelay(options: unknown): number | null {
  if (options === undefined || options === null) return null;
  const delay = (options as { delaySeconds?: unknown }).delaySeconds;
  if (delay === undefined) return null;
  if (typeof delay !== 'number' || !NumberIsFinite(delay) || delay < 0 || delay > 43_200) {
    throw new RangeErrorCtor('delaySeconds must be a number of seconds from 0 to 43200.');
  }
  return delay;
}

class Message {
  readonly id: string;
  readonly timestamp: Date;
  readonly body: unknown;
  readonly attempts: number;
  readonly #index: number;
  readonly #state: Decisions;

  constructor(id: string, timestamp: number, body: unknown, attempts: number, index: number, state: Decisions) {
    this.id = id;
    this.timestamp = new DateCtor(timestamp);
    this.body = body;
    this.attempts = attempts;
    this.#index = index;
    this.#state = state;
  }

  ack(): void {
    if (this.#state.decisions[this.#index] === NONE) this.#state.decisions[this.#index] = ACK;
  }

  retry(options?: { delaySeconds?: number }): void {
    const delay = retryDelay(options);
    if (this.#state.decisions[this.#index] !== NONE) return;
    this.#state.decisions[this.#index] = RETRY;
    this.#state.delays[this.#index] = delay;
  }
}
Object.defineProperty(Message.prototype, Symbol.toStringTag, { value: 'Message', configurable: true });

class MessageBatch {
  readonly queue: string;
  readonly messages: readonly Message[];
  readonly #state: Decisions;

  constructor(queue: string, messages: readonly Message[], state: Decisions) {
    this.queue = queue;
    this.messages = messages;
    this.#state = state;
  }

  ackAll(): void {
    const { decisions } = this.#state;
    for (let i = 0; i < decisions.length; i++) if (decisions[i] === NONE) decisions[i] = ACK;
  }

  retryAll(options?: { delaySeconds?: number }): void {
    const delay = retryDelay(options);
    const { decisions, delays } = this.#state;
    for (let i = 0; i < decisions.length; i++) {
      if (decisions[i] === NONE) { decisions[i] = RETRY; delays[i] = delay; }
    }
  }
}
Object.defineProperty(MessageBatch.prototype, Symbol.toStringTag, { value: 'MessageBatch', configurable: true });

/** Host entry. Never throws: what the handler does is this event's outcome. */
export function dispatchQueue(reqId: number, queue: string, raw: [string, number, unknown, number][]): void {
  const state: RequestState = { reqId, responded: false, waiting: 0, onIdle: () => hostNotify(Op.RequestDone, reqId) };
  const decided: Decisions = { decisions: [], delays: [] };
  const messages: Message[] = [];
  for (let i = 0; i < raw.length; i++) {
    const [id, timestamp, body, attempts] = raw[i]!;
    decided.decisions[i] = NONE;
    decided.delays[i] = null;
    messages[i] = new Message(id, timestamp, body, attempts, i, decided);
  }
  const report = (ok: boolean) => settle(state, true, [ok, decided.decisions, decided.delays]);
  const failed = (err: unknown) => {
    hostNotify(Op.Log, 4, `Uncaught ${describeThrown(err)}`);
    report(false);
  };
  try {
    const handler = installedHandler();
    const queueHandler = (handler?.self as { queue?: unknown } | undefined)?.queue;
    if (typeof queueHandler !== 'function') throw new ErrorCtor('Handler does not export a queue() function.');
    const batch = new MessageBatch(queue, ObjectFreeze(messages), decided);
    const result: unknown = ReflectApply(queueHandler, handler!.self, [batch, installedEnv(), new ExecutionContext(state)]);
    PromisePrototypeThen(PromiseResolve(result), () => report(true), failed);
  } catch (err) {
    failed(err);
  }
}
