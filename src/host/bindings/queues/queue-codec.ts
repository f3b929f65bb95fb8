// How message bodies are stored and how a batch travels to its consumer. A body is kept as bytes
// with its content type (text and json as UTF-8, bytes as they are, v8 in V8's serialization format),
// and decoded only on the consumer's host, just before it is copied into the consumer's isolate.
// A batch and its outcome cross the platform as the body of a request and its response, like a
// service binding's RPC call (rpc-codec.ts); the outcome response is the host's, told apart by its type.
import { deserialize, serialize } from 'node:v8';
import type { OutgoingResponse } from '../../isolates/request-types.js';
import type { QueueContentType, StoredMessage } from '../../storage/queues/queue-store.js';

const CONTENT_TYPES = new Set<string>(['text', 'json', 'bytes', 'v8']);
const OUTCOME_TYPE = 'content-type:application/x-islet-queue-outcome';

export function isContentType(value: unknown): value is QueueContentType {
  return typeof value === 'string' && CONTENT_TYPES.has(value);
}

/** A producer's body as stored; null when the body does not fit its content type. `body` was copied out of the isolate. */
export function encodeBody(contentType: QueueContentType, body: unknown): Uint8Array | null {
  switch (contentType) {
    case 'text': case 'json': return typeof body === 'string' ? Buffer.from(body, 'utf8') : null;
    case 'bytes': return body instanceof ArrayBuffer ? new Uint8Array(body) : null;
    case 'v8': try { return serialize(body); } catch { return null; }
  }
}

/** A stored body as the consumer's `message.body`. */
export function decodeBody(contentType: QueueContentType, body: Uint8Array): unknown {
  switch (contentType) {
    case 'text': return Buffer.from(body).toString('utf8');
    case 'json': return JSON.parse(Buffer.from(body).toString('utf8')) as unknown;
    case 'bytes': return body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength);
    case 'v8': return deserialize(body) as unknown;
  }
}

type WireMessage = [id: string, timestamp: number, contentType: QueueContentType, body: Uint8Array, attempts: number];

export function encodeBatch(messages: readonly StoredMessage[]): ArrayBuffer {
  const wire: WireMessage[] = messages.map((m) => [m.id, m.timestamp, m.contentType, m.body, m.attempts]);
  const out = serialize(wire);
  return out.buffer.slice(out.byteOffset, out.byteOffset + out.byteLength) as ArrayBuffer;
}

/** The batch as the consumer's isolate gets it: [id, timestamp ms, body, attempts][]; null when unreadable. */
export function decodeBatch(body: unknown): [string, number, unknown, number][] | null {
  if (!(body instanceof ArrayBuffer)) return null;
  try {
    const wire = deserialize(new Uint8Array(body)) as WireMessage[];
    return wire.map(([id, timestamp, contentType, bytes, attempts]) => [id, timestamp, decodeBody(contentType, bytes), attempts]);
  } catch {
    return null;
  }
}

/**
 * What the consumer decided: whether its handler succeeded, and per message (in batch order) 0 for no
 * explicit call, 1 for ack(), 2 for retry(), with retry()'s delay in seconds or null.
 */
export interface BatchOutcome { ok: boolean; decisions: number[]; delays: (number | null)[] }

/** Checks what the consumer's isolate reported (hostile) against the batch's size. */
function checkOutcome(value: unknown, size: number): BatchOutcome {
  const fields = Array.isArray(value) ? value as unknown[] : [];
  const decided = Array.isArray(fields[1]) ? fields[1] as unknown[] : [];
  const delayed = Array.isArray(fields[2]) ? fields[2] as unknown[] : [];
  return {
    ok: fields[0] === true,
    decisions: Array.from({ length: size }, (_, i) => { const d = decided[i]; return d === 1 || d === 2 ? d : 0; }),
    delays: Array.from({ length: size }, (_, i) => { const d = delayed[i]; return typeof d === 'number' && Number.isFinite(d) && d >= 0 ? d : null; }),
  };
}

/** The consumer's isolate reported `value` (or failed): the response that carries it back to the dispatcher. */
export function outcomeResponse(success: boolean, value: unknown, size: number): OutgoingResponse {
  const outcome = success ? checkOutcome(value, size) : checkOutcome([false], size);
  return { status: 200, statusText: '', headers: OUTCOME_TYPE, body: serialize(outcome) };
}

/** The outcome from the consumer's answer; null when the platform answered instead (a limit, a crash). */
export function readOutcome(answer: OutgoingResponse, size: number): BatchOutcome | null {
  const body = answer.body;
  if (answer.headers !== OUTCOME_TYPE || answer.status !== 200 || !(body instanceof Uint8Array)) return null;
  try {
    const value = deserialize(body) as Partial<BatchOutcome>;
    return checkOutcome([value.ok, value.decisions, value.delays], size);
  } catch {
    return null;
  }
}
