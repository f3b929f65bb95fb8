// undici's fetch behaves like a browser: it adds `sec-fetch-mode: cors` (replacing any the tenant
// sent), and a `user-agent` and `accept-language: *` when the request has none. Workers sends none of
// these, and servers that sniff them would see a different client than on Workers. They are taken
// back out at dispatch, on every hop, after fetch has built the request.
import type { Dispatcher } from 'undici';

/** name -> the tenant's value to send, or null to send none. */
type Fixes = Map<string, string | null>;

function fixesFor(tenant: readonly [string, string][]): Fixes {
  const sent = new Map(tenant.map(([name, value]) => [name.toLowerCase(), value]));
  const fixes: Fixes = new Map([['sec-fetch-mode', sent.get('sec-fetch-mode') ?? null]]);
  for (const name of ['user-agent', 'accept-language']) if (!sent.has(name)) fixes.set(name, null);
  return fixes;
}

/** The plain object fetch hands its headers over as, with the fixes applied; any other shape is left alone. */
function apply(options: Dispatcher.DispatchOptions, fixes: Fixes): Dispatcher.DispatchOptions {
  const { headers } = options;
  if (headers === undefined || headers === null || Array.isArray(headers) || Symbol.iterator in headers) return options;
  const out: Record<string, string | string[] | undefined> = {};
  for (const [name, value] of Object.entries(headers)) if (!fixes.has(name.toLowerCase())) out[name] = value;
  for (const [name, value] of fixes) if (value !== null) out[name] = value;
  return { ...options, headers: out };
}

/** `dispatcher`, sending the headers as the tenant gave them rather than as a browser would. */
export function asTenantSent(dispatcher: Dispatcher, tenant: readonly [string, string][]): Dispatcher {
  const fixes = fixesFor(tenant);
  return dispatcher.compose((dispatch) => (options, handler) => dispatch(apply(options, fixes), handler));
}
