// Delivers stored messages to their queue's consumer in batches: a batch goes out when max_batch_size
// messages are ready, or max_batch_timeout after the oldest ready one became visible, whichever comes
// first; at most one batch per consumer is in flight. The outcome settles each message: acked ones go,
// retried ones come back after their delay, and one that has used up max_retries goes to the
// dead-letter queue (or is dropped when there is none), as Cloudflare documents.
// @see https://developers.cloudflare.com/queues/configuration/batching-retries/
// Producers in other processes (islet serve's engines) write the same file, so besides being told of
// sends in this process the dispatcher polls the store at a short interval.
import type { OutgoingResponse } from '../../isolates/request-types.js';
import type { LogSink } from '../../observability/log-sink.js';
import type { QueueAddress, QueueStore, StoredMessage } from '../../storage/queues/queue-store.js';
import { encodeBatch, readOutcome } from './queue-codec.js';

export interface ConsumerSettings {
  maxBatchSize: number;
  maxBatchTimeoutMs: number;
  maxRetries: number;
  deadLetterQueue: string | null;
  retryDelaySeconds: number;
}

/** Runs the consumer's queue() handler on a batch (the body: queue-codec's encodeBatch) through the request path. */
export type DeliverBatch = (queue: string, batch: ArrayBuffer) => Promise<OutgoingResponse>;

export interface Consumer { worker: string; settings: ConsumerSettings; deliver: DeliverBatch }

interface State { address: QueueAddress; consumer: Consumer; inFlight: boolean; timer: NodeJS.Timeout | null; timerAt: number }

const keyOf = (address: QueueAddress) => `${address.scope}\n${address.queue}`;

export class QueueDispatcher {
  readonly #store: QueueStore;
  readonly #log: LogSink;
  readonly #states = new Map<string, State>();
  readonly #poll: NodeJS.Timeout;
  readonly #now: () => number;
  #closed = false;

  constructor(store: QueueStore, log: LogSink, options: { pollMs?: number; now?: () => number } = {}) {
    this.#store = store;
    this.#log = log;
    this.#now = options.now ?? Date.now;
    // Whatever was in flight when the last server stopped is delivered again (at least once).
    store.releaseTaken();
    this.#poll = setInterval(() => { for (const state of this.#states.values()) this.#check(state); }, options.pollMs ?? 100);
    this.#poll.unref();
  }

  /** Makes `consumer` the one consumer of `address` (replacing any); null removes it. */
  setConsumer(address: QueueAddress, consumer: Consumer | null): void {
    const key = keyOf(address);
    const state = this.#states.get(key);
    if (consumer === null) {
      if (state !== undefined) { if (state.timer !== null) clearTimeout(state.timer); this.#states.delete(key); }
      return;
    }
    if (state !== undefined) { state.consumer = consumer; this.#check(state); return; }
    const fresh: State = { address, consumer, inFlight: false, timer: null, timerAt: Infinity };
    this.#states.set(key, fresh);
    this.#check(fresh);
  }

  /** The queues `worker` consumes. */
  consumedBy(worker: string): QueueAddress[] {
    return [...this.#states.values()].filter((s) => s.consumer.worker === worker).map((s) => s.address);
  }

  /** Messages were stored for `address` in this process. */
  notify(address: QueueAddress): void {
    const state = this.#states.get(keyOf(address));
    if (state !== undefined) this.#check(state);
  }

  #arm(state: State, at: number): void {
    if (state.timer !== null && state.timerAt <= at) return;
    if (state.timer !== null) clearTimeout(state.timer);
    state.timerAt = at;
    state.timer = setTimeout(() => { state.timer = null; state.timerAt = Infinity; this.#check(state); }, Math.max(0, at - this.#now()));
    state.timer.unref();
  }

  #check(state: State): void {
    if (state.inFlight || this.#closed || this.#states.get(keyOf(state.address)) !== state) return;
    const now = this.#now();
    const { settings } = state.consumer;
    let ready: number;
    let first: number | null;
    try {
      ready = this.#store.readyCount(state.address, now);
      first = this.#store.nextVisible(state.address);
    } catch (err) {
      this.#log.workerError(state.consumer.worker, null, `Queue "${state.address.queue}" could not be read: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    if (first === null) return;
    if (ready === 0) { this.#arm(state, first); return; }
    // `first` is the oldest ready message's visible time: the batch timeout runs from it.
    if (ready >= settings.maxBatchSize || now >= first + settings.maxBatchTimeoutMs) { void this.#deliver(state); return; }
    this.#arm(state, first + settings.maxBatchTimeoutMs);
  }

  async #deliver(state: State): Promise<void> {
    const { address, consumer } = state;
    const { settings } = consumer;
    state.inFlight = true;
    let messages: StoredMessage[] = [];
    try {
      messages = this.#store.take(address, settings.maxBatchSize, this.#now());
      if (messages.length === 0) return;
      let answer: OutgoingResponse | null = null;
      try {
        answer = await consumer.deliver(address.queue, encodeBatch(messages));
      } catch (err) {
        this.#log.workerError(consumer.worker, null, `Queue "${address.queue}": the batch could not be delivered: ${err instanceof Error ? err.message : String(err)}`);
      }
      this.#settle(state, messages, answer);
    } catch (err) {
      this.#log.workerError(consumer.worker, null, `Queue "${address.queue}" could not be updated: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      state.inFlight = false;
      if (messages.length > 0) setImmediate(() => this.#check(state));
    }
  }

  #settle(state: State, messages: StoredMessage[], answer: OutgoingResponse | null): void {
    const { address, consumer: { settings, worker } } = state;
    // A batch the platform answered for (a limit, a crash, overload) failed as a whole.
    const outcome = (answer === null ? null : readOutcome(answer, messages.length)) ?? { ok: false, decisions: [], delays: [] };
    const acked: string[] = [];
    const retried: { id: string; visibleAt: number }[] = [];
    const dead: string[] = [];
    const now = this.#now();
    messages.forEach((message, i) => {
      const decision = outcome.decisions[i] ?? 0;
      if (decision === 1 || (decision === 0 && outcome.ok)) { acked.push(message.id); return; }
      // `attempts` counts deliveries: with max_retries 3 a message is delivered at most 4 times.
      if (message.attempts > settings.maxRetries) { dead.push(message.id); return; }
      const delay = (decision === 2 ? outcome.delays[i] : null) ?? settings.retryDelaySeconds;
      retried.push({ id: message.id, visibleAt: now + delay * 1000 });
    });
    if (dead.length > 0 && settings.deadLetterQueue !== null) {
      this.#store.move(address, dead, settings.deadLetterQueue, now);
      this.notify({ scope: address.scope, queue: settings.deadLetterQueue });
    } else if (dead.length > 0) {
      acked.push(...dead);
      this.#log.workerError(worker, null, `Queue "${address.queue}": ${dead.length} message(s) dropped after ${settings.maxRetries + 1} delivery attempts (no dead-letter queue is configured).`);
    }
    this.#store.settle(address, acked, retried);
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#poll);
    for (const state of this.#states.values()) if (state.timer !== null) clearTimeout(state.timer);
    this.#states.clear();
  }
}
