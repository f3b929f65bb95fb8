// The AnalyticsEngineDataset a tenant sees. It holds only a binding index; the dataset's name and its
// tenant stay on the host. writeDataPoint converts its argument as workerd's dictionary conversion
// does, then makes one synchronous host call: the host checks the limits and queues the point, so
// nothing is awaited.
//
// workerd's AnalyticsEngineEvent is { indexes, doubles, blobs }, read in that order; each blob or index
// is the Web IDL union (ArrayBuffer or ArrayBufferView or string)?, so null and undefined are empty, a
// buffer is its bytes and anything else is converted with ToString (a number becomes its digits, a
// Symbol throws a TypeError); each double goes through ToNumber (a BigInt or a Symbol throws). workerd
// converts every element before it counts them; here an array longer than allowed is refused first,
// with workerd's message, so a huge one is never walked nor copied out of the isolate.
// @see https://developers.cloudflare.com/analytics/analytics-engine/get-started/
// @see https://github.com/cloudflare/workerd/blob/main/src/workerd/api/analytics-engine.h
import { MAX_BLOBS, MAX_DOUBLES, MAX_INDEXES, tooManyBlobs, tooManyDoubles, tooManyIndexes } from '../../../shared/analytics-limits.js';
import { Op } from '../../../shared/boundary.js';
import { hostCall } from '../../bootstrap/host.js';
import { ArrayBufferCtor, ArrayBufferIsView, ArrayIsArray, TypeErrorCtor } from '../../bootstrap/primordials.js';
import { exactBuffer, toBytes } from '../../web/encoding/bytes.js';

type ByteItem = string | ArrayBuffer | null;

function wrongType(field: string, type: string): TypeError {
  return new TypeErrorCtor(`Incorrect type for the '${field}' field on 'AnalyticsEngineEvent': the provided value is not of type '${type}'.`);
}

/** An array field with its length read once: a Proxy of an array could answer a second read otherwise. */
interface ArrayField { items: unknown[]; length: number }

function arrayField(value: unknown, field: string): ArrayField | null {
  if (value === undefined || value === null) return null;
  if (!ArrayIsArray(value)) throw wrongType(field, 'Array');
  return { items: value, length: value.length };
}

function checkCount(field: ArrayField | null, max: number, message: () => string): void {
  if (field !== null && field.length > max) throw new TypeErrorCtor(message());
}

/** `(ArrayBuffer or ArrayBufferView or DOMString)?[]`, already counted. */
function byteItems(field: ArrayField | null): ByteItem[] | null {
  if (field === null) return null;
  const items: ByteItem[] = [];
  // Indexed, not iterated: a tenant may have replaced Array.prototype[Symbol.iterator].
  for (let i = 0; i < field.length; i++) {
    const item: unknown = field.items[i];
    if (item === undefined || item === null) items[i] = null;
    // The host call is synchronous and copies the bytes, so a later write to the buffer changes nothing.
    else if (item instanceof ArrayBufferCtor) items[i] = item;
    else if (ArrayBufferIsView(item)) items[i] = exactBuffer(toBytes(item, 'writeDataPoint'));
    // ToString, which a template literal applies as Web IDL does; String() would describe a Symbol instead.
    else items[i] = `${item as string}`;
  }
  return items;
}

/** `double[]`, already counted: ToNumber, which unary plus applies; Number() would accept a BigInt. */
function numbers(field: ArrayField | null): number[] | null {
  if (field === null) return null;
  const items: number[] = [];
  for (let i = 0; i < field.length; i++) items[i] = +(field.items[i] as number);
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
    const fields = event as { indexes?: unknown; blobs?: unknown; doubles?: unknown };
    // Each getter read once, in workerd's field order.
    const indexes = arrayField(fields.indexes, 'indexes');
    const doubles = arrayField(fields.doubles, 'doubles');
    const blobs = arrayField(fields.blobs, 'blobs');
    // Counted in the order workerd checks them.
    checkCount(indexes, MAX_INDEXES, tooManyIndexes);
    checkCount(blobs, MAX_BLOBS, tooManyBlobs);
    checkCount(doubles, MAX_DOUBLES, tooManyDoubles);
    const indexItems = byteItems(indexes);
    const doubleItems = numbers(doubles);
    hostCall(Op.AnalyticsWrite, this.#index, indexItems, byteItems(blobs), doubleItems);
  }
}
