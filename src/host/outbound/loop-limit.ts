// Subrequest chains between workers: a worker that fetches its own public URL, or two that call each
// other, would otherwise multiply until something falls over. As with Workers' CF-EW-Via, every
// subrequest carries how many worker invocations led to it, and the front door refuses the request
// that would go past the limit.
// @see https://developers.cloudflare.com/workers/observability/errors/#loop-limit

export const VIA_HEADER = 'x-islet-via';
/** Workers lets a chain of worker invocations be at most 16 long. */
export const MAX_HOPS = 16;

export const LOOP_DETECTED = `Loop Detected: this request went through ${MAX_HOPS} workers in a chain of subrequests `
  + '(a worker fetching itself?). Workers answers such requests with error 1019.\n';

/** The hop count an incoming request carries; 0 when absent or not a plain number. */
export function hopsOf(value: string | string[] | undefined): number {
  const first = Array.isArray(value) ? value[0] : value;
  return first !== undefined && /^\d{1,4}$/.test(first.trim()) ? Number(first.trim()) : 0;
}
