// The AnalyticsEngineDataset a tenant sees. It holds only a binding index; the dataset's name and its
// tenant stay on the host. writeDataPoint converts its argument as workerd's dictionary conversion
// does (strings and byte buffers for blobs and indexes, numbers for doubles), then makes one
// synchronous host call: the host checks the limits and queues the point, so nothing is awaited.
// @see https://developers.cloudflare.com/analytics/analytics-engine/get-started/
import { Op } from '../../../shared/boundary.js';
import { hostCall } from '../../bootstrap/host.js';
import { ArrayBufferCtor, ArrayBufferIsView, ArrayIsArray, TypeErrorCtor } from '../../bootstrap/primordials.js';
import { exactBuffer, toBytes } from '../../web/encoding/bytes.js';

type ByteItem = string | ArrayBuffer | null;

function wrongType(field: string, type: string): TypeError {
  return new TypeErrorCtor(`Incorrect type for the '${field}' field on 'AnalyticsEngineEvent': the provided value is not of type '${type}'.`);
}

/** `(string or BufferSource)?[]`: null and undefined members are empty; anything else becomes a string. */
function byteItems(value: unknown, field: string): ByteItem[] | null {
  if (value === undefined || value === null) return null;
  if (!ArrayIsArray(value)) throw wrongType(field, 'Array');
  const items: ByteItem[] = [];
  // Indexed, not iterated: a tenant may have replaced Array.prototype[Symbol.iterator].
  for (let i = 0; i < value.length; i++) {
    const item: unknown = value[i];
    if (item === undefined || item === null) items[i] = null;
    // The host call is synchronous and copies the bytes, so a later write to the buffer changes nothing.
    else if (item instanceof ArrayBufferCtor) items[i] = item;
    else if (ArrayBufferIsView(item)) items[i] = exactBuffer(toBytes(item, 'writeDataPoint'));
    else items[i] = String(item);
  }
  return items;
}

function numbers(value: unknown): number[] | null {
  if (value === undefined || value === null) return null;
  if (!ArrayIsArray(value)) throw wrongType('doubles', 'Array');
  const items: number[] = [];
  for (let i = 0; i < value.length; i++) items[i] = Number(value[i]);
  return items;
}

export class AnalyticsEngineDataset {
  readonly #index: number;
  constructor(index: number) { this.#index = index; }

  writeDataPoint(event?: unknown): void {
    if (event === undefined || event === null) {
      hostCall(Op.AnalyticsWrite, this.#index, null, null, null);
      return;
    }
    if (typeof event !== 'object' && typeof event !== 'function') {
      throw new TypeErrorCtor("Failed to execute 'writeDataPoint' on 'AnalyticsEngineDataset': parameter 1 is not of type 'AnalyticsEngineEvent'.");
    }
    const { indexes, blobs, doubles } = event as { indexes?: unknown; blobs?: unknown; doubles?: unknown };
    hostCall(Op.AnalyticsWrite, this.#index, byteItems(indexes, 'indexes'), byteItems(blobs, 'blobs'), numbers(doubles));
  }
}
