// How a JavaScript RPC call over a service binding travels: as an invocation of the target like a
// request (so routing, admission, limits, metrics and logs are the same path), with the arguments and
// the outcome as V8-serialized bytes (the structured clone format) in the request and response bodies.
// The outcome response is made by the host from the runtime's result, never by tenant code, and is told
// apart by its content type; any other response (a limit, a crash) is the platform's failure.
// @see https://developers.cloudflare.com/workers/runtime-apis/rpc/
import { deserialize, serialize } from 'node:v8';
import { ErrorKind, type HostReply } from '../../../shared/boundary.js';
import { isByteSource, type ByteSource } from '../../isolates/byte-source.js';
import { fail, ok } from '../../isolates/host-ops/reply.js';
import type { OutgoingResponse } from '../../isolates/request-types.js';

/** Workers' limit on one RPC message (arguments or result), serialized. */
export const MAX_RPC_BYTES = 32 * 1024 * 1024;
const RPC_TYPE = 'content-type:application/x-islet-rpc';
const METHOD = /^[A-Za-z_$][\w$]{0,255}$/;
const NAME_KIND: Record<string, number> = { TypeError: ErrorKind.TypeError, RangeError: ErrorKind.RangeError, SyntaxError: ErrorKind.SyntaxError, DataCloneError: ErrorKind.DataCloneError };

export function isRpcMethodName(value: unknown): value is string {
  return typeof value === 'string' && METHOD.test(value);
}

function bytes(buffer: Buffer): ArrayBuffer {
  return buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength) as ArrayBuffer;
}

/** The caller's arguments (already copied out of its isolate) as a request body; null when too large. */
export function encodeArgs(args: unknown[]): ArrayBuffer | null {
  const out = serialize(args);
  return out.byteLength > MAX_RPC_BYTES ? null : bytes(out);
}

/** The arguments from a request body, or null when they are not an array of clonable values. */
export function decodeArgs(body: ArrayBuffer | null): unknown[] | null {
  if (!(body instanceof ArrayBuffer) || body.byteLength > MAX_RPC_BYTES) return null;
  try {
    const args: unknown = deserialize(new Uint8Array(body));
    return Array.isArray(args) ? args : null;
  } catch {
    return null;
  }
}

/** The callee's outcome as the response the platform carries back: a value, or [errorName, message]. */
export function rpcResponse(success: boolean, value: unknown): OutgoingResponse {
  let body: Buffer;
  try {
    body = serialize([success, value]);
  } catch {
    body = serialize([false, ['DataCloneError', 'The RPC result could not be serialized.']]);
  }
  if (body.byteLength > MAX_RPC_BYTES) body = serialize([false, ['RangeError', `The RPC result exceeds the limit of ${MAX_RPC_BYTES} bytes.`]]);
  return { status: 200, statusText: '', headers: RPC_TYPE, body };
}

async function whole(body: OutgoingResponse['body']): Promise<Buffer | null> {
  if (body === null) return null;
  if (typeof body === 'string') return Buffer.from(body);
  if (!isByteSource(body)) return body;
  const source: ByteSource = body;
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (let chunk = await source.read(); chunk !== null; chunk = await source.read()) {
    size += chunk.byteLength;
    if (size > MAX_RPC_BYTES) { source.cancel('The RPC result is too large.'); return null; }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** The caller's reply: the result to clone into its isolate, or the callee's error rebuilt by name and message. */
export async function readRpcAnswer(answer: OutgoingResponse, service: string): Promise<HostReply> {
  const body = await whole(answer.body);
  if (answer.headers !== RPC_TYPE || answer.status !== 200 || body === null) {
    // The platform answered for the callee (a limit, an exception outside the method, overload).
    const text = body === null ? '' : body.toString('utf8', 0, Math.min(body.byteLength, 1024)).trim();
    return fail(ErrorKind.Error, `The RPC call to "${service}" failed: ${answer.status}${text === '' ? '' : ` ${text}`}`);
  }
  let outcome: unknown;
  try {
    outcome = deserialize(body);
  } catch {
    return fail(ErrorKind.Error, `The RPC call to "${service}" returned a result that could not be read.`);
  }
  if (!Array.isArray(outcome) || outcome.length !== 2) return fail(ErrorKind.Error, `The RPC call to "${service}" returned a result that could not be read.`);
  const [success, value] = outcome as [unknown, unknown];
  if (success === true) return ok(value);
  if (Array.isArray(value) && typeof value[1] === 'string') return fail((NAME_KIND[String(value[0])] ?? ErrorKind.Error) as 0, value[1]);
  return fail(ErrorKind.Error, 'The RPC method failed.');
}
