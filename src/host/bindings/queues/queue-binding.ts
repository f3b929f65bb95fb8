// The host half of a queue producer binding: checks what the isolate sends against Cloudflare's limits
// (every value is hostile), encodes each body by its content type and hands the messages to a sink
// that stores them. The queue's scope and name are the host's; the isolate holds only a binding index.
// @see https://developers.cloudflare.com/queues/configuration/javascript-apis/#producer
import { randomBytes } from 'node:crypto';
import { ErrorKind, type HostReply } from '../../../shared/boundary.js';
import { fail, ok, typeError } from '../../isolates/host-ops/reply.js';
import type { NewMessage, QueueAddress } from '../../storage/queues/queue-store.js';
import { encodeBody, isContentType } from './queue-codec.js';
import { MAX_BATCH_BYTES, MAX_BATCH_MESSAGES, MAX_DELAY_SECONDS, MAX_MESSAGE_BYTES } from './queue-limits.js';

/** Stores messages; resolves once they are durable. */
export interface QueueSink { send(address: QueueAddress, messages: NewMessage[]): Promise<void> }

function delayOf(value: unknown, what: string): number | string {
  if (value === null || value === undefined) return 0;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_DELAY_SECONDS) {
    return `${what} must be a whole number of seconds from 0 to ${MAX_DELAY_SECONDS}.`;
  }
  return value;
}

export class QueueBinding {
  readonly address: QueueAddress;
  /** From the producer's `delivery_delay`: the delay of messages that name none. */
  readonly #defaultDelay: number;
  readonly #sink: QueueSink;

  constructor(address: QueueAddress, sink: QueueSink, defaultDelaySeconds = 0) {
    this.address = address;
    this.#sink = sink;
    this.#defaultDelay = defaultDelaySeconds;
  }

  /** (messages: [contentType, body, delaySeconds | null][], batch delaySeconds | null, isBatch) */
  send(args: unknown[]): HostReply | Promise<HostReply> {
    const [list, batchDelay, isBatch] = args;
    const call = isBatch === true ? 'sendBatch' : 'send';
    if (!Array.isArray(list)) return typeError(`Queue ${call}() failed: invalid messages.`);
    if (list.length === 0) return typeError('Queue sendBatch() failed: a batch must have at least one message.');
    if (list.length > MAX_BATCH_MESSAGES) return fail(ErrorKind.RangeError, `Queue sendBatch() failed: a batch may have at most ${MAX_BATCH_MESSAGES} messages, not ${list.length}.`);
    const shared = delayOf(batchDelay, 'delaySeconds');
    if (typeof shared === 'string') return fail(ErrorKind.RangeError, `Queue ${call}() failed: ${shared}`);
    const now = Date.now();
    const messages: NewMessage[] = [];
    let total = 0;
    for (const entry of list) {
      if (!Array.isArray(entry) || entry.length !== 3) return typeError(`Queue ${call}() failed: invalid message.`);
      const [contentType, body, ownDelay] = entry as unknown[];
      if (!isContentType(contentType)) return typeError(`Queue ${call}() failed: unknown content type "${String(contentType)}"; use "text", "json", "bytes" or "v8".`);
      const bytes = encodeBody(contentType, body);
      if (bytes === null) return typeError(`Queue ${call}() failed: the body does not match content type "${contentType}".`);
      if (bytes.byteLength > MAX_MESSAGE_BYTES) {
        return fail(ErrorKind.RangeError, `Queue ${call}() failed: message of ${bytes.byteLength} bytes exceeds the limit of ${MAX_MESSAGE_BYTES} bytes.`);
      }
      total += bytes.byteLength;
      const delay = ownDelay === null ? (batchDelay === null || batchDelay === undefined ? this.#defaultDelay : shared) : delayOf(ownDelay, 'delaySeconds');
      if (typeof delay === 'string') return fail(ErrorKind.RangeError, `Queue ${call}() failed: ${delay}`);
      messages.push({ id: randomBytes(16).toString('hex'), contentType, body: bytes, timestamp: now, visibleAt: now + delay * 1000 });
    }
    if (total > MAX_BATCH_BYTES) return fail(ErrorKind.RangeError, `Queue sendBatch() failed: the batch of ${total} bytes exceeds the limit of ${MAX_BATCH_BYTES} bytes.`);
    return this.#sink.send(this.address, messages).then(() => ok(null), (err: unknown) =>
      fail(ErrorKind.Error, `Queue ${call}() failed: the message could not be stored (${err instanceof Error ? err.message : String(err)}).`));
  }
}
