// The producer side of a queue binding: send() and sendBatch() turn each body into what its content
// type stores (json: JSON text, text: a string, bytes: an ArrayBuffer, v8: the value itself, which the
// host serializes) and ask the host, which checks the limits and resolves once the messages are stored.
// @see https://developers.cloudflare.com/queues/configuration/javascript-apis/#producer
import { Op } from '../../../shared/boundary.js';
import { hostAsync } from '../../bootstrap/host.js';
import {
  ArrayBufferIsView, ArrayBufferPrototypeSlice, ArrayIsArray, ArrayPrototypePush, JSONStringify, PromiseReject, TypeErrorCtor,
} from '../../bootstrap/primordials.js';

type Wire = [contentType: string, body: unknown, delaySeconds: unknown];

interface SendOptions { contentType?: unknown; delaySeconds?: unknown }

/** Workers' default for a message that names no content type. */
const DEFAULT_CONTENT_TYPE = 'v8';

function wireOf(body: unknown, options: SendOptions | undefined, call: string): Wire {
  const contentType = options?.contentType ?? DEFAULT_CONTENT_TYPE;
  const delay = options?.delaySeconds ?? null;
  switch (contentType) {
    case 'json': {
      const text: unknown = JSONStringify(body);
      if (typeof text !== 'string') throw new TypeErrorCtor(`Queue ${call}() failed: the body cannot be serialized as JSON.`);
      return ['json', text, delay];
    }
    case 'text':
      if (typeof body !== 'string') throw new TypeErrorCtor(`Queue ${call}() failed: content type "text" needs a string body.`);
      return ['text', body, delay];
    case 'bytes':
      if (body instanceof ArrayBuffer) return ['bytes', ArrayBufferPrototypeSlice(body, 0), delay];
      if (ArrayBufferIsView(body)) {
        const view = body as ArrayBufferView;
        return ['bytes', ArrayBufferPrototypeSlice(view.buffer as ArrayBuffer, view.byteOffset, view.byteOffset + view.byteLength), delay];
      }
      throw new TypeErrorCtor(`Queue ${call}() failed: content type "bytes" needs an ArrayBuffer or ArrayBufferView body.`);
    case 'v8':
      if (typeof body === 'function' || typeof body === 'symbol') throw new TypeErrorCtor(`Queue ${call}() failed: the body cannot be serialized.`);
      return ['v8', body, delay];
    default:
      throw new TypeErrorCtor(`Queue ${call}() failed: unknown content type "${String(contentType)}"; use "text", "json", "bytes" or "v8".`);
  }
}

export class Queue {
  readonly #index: number;

  constructor(index: number) {
    this.#index = index;
  }

  send(body: unknown, options?: SendOptions): Promise<void> {
    try {
      return hostAsync(Op.QueueSend, this.#index, [wireOf(body, options, 'send')], null, false) as Promise<void>;
    } catch (err) {
      return PromiseReject(err);
    }
  }

  sendBatch(messages: unknown, options?: { delaySeconds?: unknown }): Promise<void> {
    try {
      if (messages === null || typeof messages !== 'object') throw new TypeErrorCtor('Queue sendBatch() failed: messages must be an iterable of { body, contentType?, delaySeconds? }.');
      const list: Wire[] = [];
      const items = ArrayIsArray(messages) ? messages as unknown[] : [...(messages as Iterable<unknown>)];
      for (let i = 0; i < items.length; i++) {
        const item = items[i] as { body?: unknown; contentType?: unknown; delaySeconds?: unknown } | null;
        if (item === null || typeof item !== 'object') throw new TypeErrorCtor('Queue sendBatch() failed: each message must be an object with a body.');
        ArrayPrototypePush(list, wireOf(item.body, item, 'sendBatch'));
      }
      return hostAsync(Op.QueueSend, this.#index, list, options?.delaySeconds ?? null, true) as Promise<void>;
    } catch (err) {
      return PromiseReject(err);
    }
  }
}
Object.defineProperty(Queue.prototype, Symbol.toStringTag, { value: 'WorkerQueue', configurable: true });
