// What a stub's caller is told when the platform, not the object's code, ended an event.
// @see https://developers.cloudflare.com/durable-objects/best-practices/error-handling/

/** Cloudflare's words when an object's event runs past its CPU limit: the object is reset, its caller's call throws. */
export const OBJECT_CPU_LIMIT = 'Durable Object exceeded its CPU time limit and was reset.';

/** An object's instance was dropped before the writes its outputs depend on were confirmed. */
export const OBJECT_RESET = 'The Durable Object was reset before its writes were confirmed.';

/** A stub call's failure as the caller's runtime rebuilds it: [error name, message, the platform's failure kind]. */
export type ObjectFailure = [name: string, message: string, kind?: 'cpu_limit'];

export function cpuLimitFailure(): ObjectFailure {
  return ['Error', OBJECT_CPU_LIMIT, 'cpu_limit'];
}

export function isCpuLimitFailure(reason: unknown): boolean {
  return Array.isArray(reason) && reason[2] === 'cpu_limit';
}
