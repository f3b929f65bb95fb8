// Tells which failure an error answer from an engine stands for. The engine's answer carries no
// failure field, only the status and the runtime's own fixed message, so the message is what is
// read: a worker that returns byte-for-byte the same text with the same status is counted too.
import type { OutgoingResponse } from '../isolates/request-types.js';
import type { FailureKind } from '../observability/platform-observer.js';

const LIMIT_503: Record<string, FailureKind> = {
  'Worker exceeded its CPU time limit.\n': 'cpu_limit',
  'Worker exceeded its memory limit.\n': 'memory_limit',
  'Worker exceeded its wall-clock time limit.\n': 'wall_limit',
};

/** null: a success, or an error answer the worker's own code chose. */
export function failureOf(response: OutgoingResponse): FailureKind | null {
  const { status, body } = response;
  if (status < 500 || status > 503 || typeof body !== 'string' || response.statusText !== '') return null;
  if (status === 500) {
    return body === 'Internal Server Error\n' || body.startsWith('Internal Server Error: ')
      || body === 'Worker threw an exception the runtime could not handle.\n' ? 'exception' : null;
  }
  if (status === 502) return body.startsWith('Bad Gateway: ') ? 'bad_gateway' : null;
  if (status === 503) {
    const limit = LIMIT_503[body];
    if (limit !== undefined) return limit;
    if (body.startsWith('Service Unavailable: this worker is quarantined')) return 'quarantine';
    if (body.startsWith('Service Unavailable:')) return 'unavailable';
  }
  return null;
}
