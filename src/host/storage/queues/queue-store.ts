// Where queue messages wait between a producer's send() and the consumer's ack. A queue is named by
// its scope (the tenant under islet serve) and its name, so two tenants' queues of one name never meet.
// Delivery is at least once: a message taken for a batch and never settled (a crash, a restart) is
// taken again. Every backend passes test/queues/queue-store.contract.ts.

export type QueueContentType = 'text' | 'json' | 'bytes' | 'v8';

export interface QueueAddress { scope: string; queue: string }

export interface NewMessage {
  id: string;
  contentType: QueueContentType;
  body: Uint8Array;
  /** ms since the epoch: when the message was sent (what `message.timestamp` shows). */
  timestamp: number;
  /** ms since the epoch: not delivered before this. */
  visibleAt: number;
}

export interface StoredMessage extends NewMessage {
  /** Deliveries so far, this one included once taken. */
  attempts: number;
}

export interface QueueStore {
  /** Stores messages durably, for any number of queues in one transaction; returns once they are on disk. */
  sendMany(groups: readonly { address: QueueAddress; messages: readonly NewMessage[] }[]): void;
  /** Up to `limit` messages visible at `now`, oldest first, taken for delivery: hidden until settled, attempts + 1. */
  take(address: QueueAddress, limit: number, now: number): StoredMessage[];
  /** Messages visible at `now` and not taken. */
  readyCount(address: QueueAddress, now: number): number;
  /** The earliest time a message not taken becomes visible, or null when the queue is empty. */
  nextVisible(address: QueueAddress): number | null;
  /** Settles taken messages: acked ones go, retried ones become visible again at their time. */
  settle(address: QueueAddress, acked: readonly string[], retried: readonly { id: string; visibleAt: number }[]): void;
  /** Moves taken messages to another queue of the same scope (a dead-letter queue) as new, visible now. */
  move(from: QueueAddress, ids: readonly string[], to: string, now: number): void;
  /** Every queue with messages not taken, and when its first becomes visible. */
  pending(): (QueueAddress & { nextVisible: number })[];
  /** Makes taken messages visible again (at start: whatever was in flight when the server stopped). */
  releaseTaken(): void;
  close(): void;
}
