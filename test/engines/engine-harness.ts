// Specs and requests for engine tests, and a version id placed in a chosen engine slot.
import type { VersionSpec } from '../../src/host/engines/engine-protocol.js';
import { engineSlot } from '../../src/host/engines/supervisor.js';
import type { IncomingRequest } from '../../src/host/isolates/request-types.js';
import { DEFAULT_LIMITS } from '../../src/host/workers/worker-config.js';

/** A version of `worker` running `code`. Tests about behaviour, not CPU limits, get a CPU budget a loaded machine cannot exhaust. */
export function versionSpec(id: string, code: string, extra: Partial<Omit<VersionSpec, 'limits'>> & { limits?: Partial<VersionSpec['limits']> } = {}): VersionSpec {
  const { limits, ...rest } = extra;
  return {
    id,
    worker: `worker-${id}`,
    code,
    filename: `${id}.js`,
    sourceMap: null,
    vars: {},
    kv: [],
    ...rest,
    limits: { ...DEFAULT_LIMITS, cpuMs: 2_000, concurrency: 64, queue: 256, ratePerSecond: 0, ...limits },
  };
}

let traces = 0;

export function get(path: string): IncomingRequest {
  return { method: 'GET', url: `https://tenant.example${path}`, headers: '', body: null, traceId: `trace-${++traces}` };
}

/** A version id (prefix-N) whose default worker (`worker-<id>`, see versionSpec) lands in `slot` of `engines`. */
export function idInSlot(prefix: string, slot: number, engines: number): string {
  for (let n = 0; ; n++) {
    const id = `${prefix}-${n}`;
    if (engineSlot(`worker-${id}`, engines) === slot) return id;
  }
}

/** A worker name (prefix-N) that lands in `slot`: all of a worker's versions run in one engine. */
export function workerInSlot(prefix: string, slot: number, engines: number): string {
  for (let n = 0; ; n++) {
    const name = `${prefix}-${n}`;
    if (engineSlot(name, engines) === slot) return name;
  }
}

/** A whole body as text; these tests' bodies never stream. */
export function bodyText(body: unknown): string {
  if (body !== null && typeof body !== 'string' && !(body instanceof Uint8Array)) throw new Error('expected a whole body, not a stream');
  return body === null ? '' : typeof body === 'string' ? body : Buffer.from(body).toString();
}

/** Answers after `?slow=MS` milliseconds, else at once; counts the requests its isolate has served. */
export const SLOW_WORKER = `let served = 0;
export default { async fetch(request) {
  const slow = new URL(request.url).searchParams.get('slow');
  if (slow !== null) await new Promise((resolve) => setTimeout(resolve, Number(slow)));
  return new Response('ok ' + (++served));
} };`;
