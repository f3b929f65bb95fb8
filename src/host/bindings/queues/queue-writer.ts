// Writes producers' messages to the store in one transaction per event-loop turn (one fsync for every
// send of the turn), after the isolate call that sent them, so a write never counts against a tenant's
// CPU time. Each send resolves once its transaction is committed.
import type { NewMessage, QueueAddress, QueueStore } from '../../storage/queues/queue-store.js';
import type { QueueSink } from './queue-binding.js';

interface Pending { address: QueueAddress; messages: NewMessage[]; resolve: () => void; reject: (err: unknown) => void }

export class QueueWriter implements QueueSink {
  readonly #store: QueueStore;
  readonly #onSent: (address: QueueAddress) => void;
  #pending: Pending[] = [];

  /** `onSent`: told after messages for a queue are stored (the dispatcher of this process, if any). */
  constructor(store: QueueStore, onSent: (address: QueueAddress) => void = () => {}) {
    this.#store = store;
    this.#onSent = onSent;
  }

  send(address: QueueAddress, messages: NewMessage[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ address, messages, resolve, reject });
      if (this.#pending.length === 1) setImmediate(() => this.#flush());
    });
  }

  #flush(): void {
    const batch = this.#pending;
    this.#pending = [];
    const byQueue = new Map<string, { address: QueueAddress; messages: NewMessage[] }>();
    for (const p of batch) {
      const key = `${p.address.scope}\n${p.address.queue}`;
      const group = byQueue.get(key) ?? { address: p.address, messages: [] };
      group.messages.push(...p.messages);
      byQueue.set(key, group);
    }
    try {
      this.#store.sendMany([...byQueue.values()]);
    } catch (err) {
      for (const p of batch) p.reject(err);
      return;
    }
    for (const p of batch) p.resolve();
    for (const group of byQueue.values()) this.#onSent(group.address);
  }
}
