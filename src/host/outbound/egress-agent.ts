// The connection layer under tenant subrequests. The egress policy is applied where the socket is
// opened, to the address it is opened to: a name is resolved once, every address it gives is checked,
// and only allowed ones are handed to connect(). A second resolution that could answer differently
// (DNS rebinding) never happens, and redirects are covered because each new origin connects here.
import type { LookupAddress } from 'node:dns';
import { lookup as systemLookup } from 'node:dns/promises';
import { isIP, type LookupFunction } from 'node:net';
import { Agent, buildConnector } from 'undici';
import { blockedMessage, type EgressPolicy } from './egress-policy.js';

/** Resolves a hostname to all its addresses; injectable so tests never touch real DNS. */
export type Resolver = (hostname: string) => Promise<LookupAddress[]>;

export class EgressBlockedError extends Error {
  readonly code = 'ERR_EGRESS_BLOCKED';
}

export interface EgressAgentOptions {
  policy: EgressPolicy;
  /** Origins the operator routed subrequests to (`--outbound`): reachable whatever their address. */
  isRouted(protocol: string, hostname: string, port: string): boolean;
  resolve?: Resolver;
}

const resolveAll: Resolver = (hostname) => systemLookup(hostname, { all: true });

function notFound(hostname: string): Error {
  return Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', hostname });
}

/** A net `lookup` that resolves with `resolve` and keeps the addresses `usable` returns. */
function lookupWith(resolve: Resolver, usable: (hostname: string, found: LookupAddress[]) => LookupAddress[]): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname).then((found) => {
      if (found.length === 0) throw notFound(hostname);
      const addresses = usable(hostname, found);
      if (options.all === true) callback(null, addresses);
      else callback(null, addresses[0]!.address, addresses[0]!.family);
    }).catch((err: NodeJS.ErrnoException) => callback(err, ''));
  };
}

export function createEgressAgent(options: EgressAgentOptions): Agent {
  const { policy, isRouted } = options;
  const resolve = options.resolve ?? resolveAll;
  const open = buildConnector({ lookup: lookupWith(resolve, (_hostname, found) => found) });
  const guarded = buildConnector({
    lookup: lookupWith(resolve, (hostname, found) => {
      const allowed = found.filter((entry) => policy.refusal(entry.address) === null);
      if (allowed.length === 0) throw new EgressBlockedError(blockedMessage(hostname, null));
      return allowed;
    }),
  });
  const connect: buildConnector.connector = (target, callback) => {
    const { hostname, protocol, port } = target;
    if (isRouted(protocol, hostname, port) || policy.allowsHost(hostname)) { open(target, callback); return; }
    // An address in the URL is never looked up: it is judged here, before any packet leaves.
    const refused = isIP(hostname) === 0 ? null : policy.refusal(hostname);
    if (refused !== null) {
      process.nextTick(callback, new EgressBlockedError(blockedMessage(hostname, refused)), null);
      return;
    }
    guarded(target, callback);
  };
  return new Agent({ connect });
}
