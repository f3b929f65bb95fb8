// How the CLI reports a failure. Errors the user can act on (bad arguments, config, a build error, a
// worker that will not load, a KV limit) carry a code or a known name and print as their message
// alone; anything else is a bug in Islet and prints with its stack.
import { UsageError } from './args.js';

export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const known = err instanceof UsageError || typeof (err as { code?: unknown }).code === 'string' || err.name === 'BundleError';
  return known ? err.message : (err.stack ?? err.message);
}
