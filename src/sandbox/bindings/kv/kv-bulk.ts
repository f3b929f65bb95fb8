// Bulk reads: get([...keys]) and getWithMetadata([...keys]) resolve to a Map from each key to its
// value (or { value, metadata }), with null for keys that are absent.
// @see https://developers.cloudflare.com/kv/api/read-key-value-pairs/
// Workers sends a bulk read to the KV service as one GET_BULK request, so its errors are framed as
// "KV GET_BULK failed: <status> <text>"; limits and texts are the service's, as miniflare reproduces
// them (cloudflare/workers-sdk, packages/miniflare/src/workers/kv/namespace.worker.ts).
import {
  ErrorCtor, JSONParse, MapCtor, MapPrototypeSet, StringPrototypeIndexOf, StringPrototypeSlice,
} from '../../bootstrap/primordials.js';

const MAX_BULK_KEYS = 100;
const MAX_BULK_BYTES = 25 * 1024 * 1024;
const SINGLE_GET_PREFIX = 'KV GET failed: ';

/** Reads one key as text: its value and metadata JSON, or null when it is absent. */
export type ReadText = (key: string) => Promise<[string | ArrayBuffer, string | null] | null>;

const failed = (status: number, text: string) => new ErrorCtor(`KV GET_BULK failed: ${status} ${text}`);

/** A per-key refusal from the host, reframed as part of the bulk request it belongs to. */
function asBulkError(err: unknown): unknown {
  if (!(err instanceof ErrorCtor) || StringPrototypeIndexOf(err.message, SINGLE_GET_PREFIX) !== 0) return err;
  return new ErrorCtor(`KV GET_BULK failed: ${StringPrototypeSlice(err.message, SINGLE_GET_PREFIX.length)}`);
}

export async function getBulk(read: ReadText, keys: unknown[], type: string, withMetadata: boolean): Promise<Map<string, unknown>> {
  if (type !== 'text' && type !== 'json') throw failed(400, `"${type}" is not a valid type. Use "json" or "text"`);
  if (keys.length > MAX_BULK_KEYS) throw failed(400, `You can request a maximum of ${MAX_BULK_KEYS} keys`);
  if (keys.length < 1) throw failed(400, 'You must request a minimum of 1 key');
  const names: string[] = [];
  for (let i = 0; i < keys.length; i++) names[i] = String(keys[i]);

  const result = new MapCtor<string, unknown>();
  let total = 0;
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    let reply: [string | ArrayBuffer, string | null] | null;
    try {
      reply = await read(name);
    } catch (err) {
      throw asBulkError(err);
    }
    if (reply === null) {
      MapPrototypeSet(result, name, null);
      continue;
    }
    const text = reply[0] as string;
    total += text.length;
    let value: unknown = text;
    if (type === 'json') {
      try {
        value = JSONParse(text);
      } catch {
        throw failed(400, 'At least one of the requested keys corresponds to a non-json value');
      }
    }
    MapPrototypeSet(result, name, withMetadata ? { value, metadata: reply[1] === null ? null : JSONParse(reply[1]) } : value);
  }
  if (total > MAX_BULK_BYTES) throw failed(413, `Total size of request exceeds the limit of ${MAX_BULK_BYTES / 1024 / 1024}MB`);
  return result;
}
