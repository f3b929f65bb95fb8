// Queues for one process that delivers them (islet serve's supervisor, or islet dev's Islet): the
// store, the writer producers in this process use, and the dispatcher that runs consumers.
import { randomBytes } from 'node:crypto';
import type { IncomingRequest } from '../../isolates/request-types.js';
import type { LogSink } from '../../observability/log-sink.js';
import { SqliteQueueStore } from '../../storage/queues/sqlite-queue-store.js';
import type { QueueConsumerConfig } from '../../workers/queues-config.js';
import { QueueDispatcher, type DeliverBatch } from './queue-dispatcher.js';
import { QueueWriter } from './queue-writer.js';

/** A batch as the platform dispatches it: a request record with `queue` set, so it takes a request's path. */
export function queueRequest(queue: string, batch: ArrayBuffer, traceId: string = randomBytes(16).toString('hex')): IncomingRequest {
  return {
    method: 'POST',
    url: `http://queue.invalid/__queue?queue=${encodeURIComponent(queue)}`,
    headers: '',
    body: batch,
    traceId,
    queue: { queue },
  };
}

export class QueueService {
  readonly store: SqliteQueueStore;
  readonly writer: QueueWriter;
  readonly dispatcher: QueueDispatcher;

  constructor(dataDir: string, log: LogSink, options: { pollMs?: number } = {}) {
    this.store = new SqliteQueueStore(dataDir);
    this.dispatcher = new QueueDispatcher(this.store, log, options);
    this.writer = new QueueWriter(this.store, (address) => this.dispatcher.notify(address));
  }

  /**
   * Makes `worker` the consumer of `consumers` in `scope`, and of nothing else. A queue has one
   * consumer: the worker deployed last with a consumer for it takes it over.
   */
  setConsumers(worker: string, scope: string, consumers: readonly QueueConsumerConfig[], deliver: DeliverBatch): void {
    const wanted = new Set(consumers.map((c) => c.queue));
    for (const address of this.dispatcher.consumedBy(worker)) {
      if (address.scope !== scope || !wanted.has(address.queue)) this.dispatcher.setConsumer(address, null);
    }
    for (const c of consumers) {
      this.dispatcher.setConsumer({ scope, queue: c.queue }, {
        worker,
        settings: { maxBatchSize: c.maxBatchSize, maxBatchTimeoutMs: c.maxBatchTimeoutMs, maxRetries: c.maxRetries, deadLetterQueue: c.deadLetterQueue, retryDelaySeconds: c.retryDelaySeconds },
        deliver,
      });
    }
  }

  /** Stops delivering (no new batch starts); the store stays open until close(). */
  stop(): void {
    this.dispatcher.close();
  }

  close(): void {
    this.dispatcher.close();
    this.store.close();
  }
}
