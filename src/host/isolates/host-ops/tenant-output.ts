// Checks on what a tenant hands back to the host, made on the host side whatever the runtime did.
import { RUNTIME_FILENAME } from '../bridge/runtime-image.js';

/**
 * Responses are buffered whole, in the host's own heap, so their size is capped whatever the
 * runtime let through; the runtime applies the same cap before copying a body out of the isolate.
 */
export const MAX_RESPONSE_BODY = 128 * 1024 * 1024;

/** The body's size in bytes when it is over the cap, else null. */
export function oversizeBody(body: string | ArrayBuffer | null): number | null {
  if (body === null) return null;
  if (typeof body !== 'string') return body.byteLength > MAX_RESPONSE_BODY ? body.byteLength : null;
  // A string's UTF-8 form is at most three bytes per UTF-16 unit: most are never measured.
  if (body.length * 3 <= MAX_RESPONSE_BODY) return null;
  const bytes = Buffer.byteLength(body, 'utf8');
  return bytes > MAX_RESPONSE_BODY ? bytes : null;
}

/** Frames of the runtime itself say nothing to the tenant about their own code. */
export function withoutRuntimeFrames(stack: string): string {
  return stack.split('\n').filter((line) => !line.includes(`(${RUNTIME_FILENAME}:`) && !line.includes(`at ${RUNTIME_FILENAME}:`)).join('\n');
}
