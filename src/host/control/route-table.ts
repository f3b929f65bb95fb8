// Which worker a request goes to. Built once per change of the routes and read on every request, so
// patterns are indexed by host: an exact host is one map lookup, and a wildcard host one lookup per
// distinct wildcard-suffix length; only the few patterns of the matching host are compared by path.
//
// Precedence follows Cloudflare's "the most specific route pattern wins": the host decides first (an
// exact host over a wildcard, a longer wildcard suffix over a shorter one, so `a.example.com/*` wins
// over `*.example.com/a` for a.example.com/a), then the path (a longer literal path first, an exact
// path over a wildcard of the same length), then a pattern that names the scheme over one that does
// not. Cloudflare documents a bug where `example.com/images*` beats `example.com/images/*` for
// /images/hello; Islet gives that request to the more specific `example.com/images/*`.
// @see https://developers.cloudflare.com/workers/configuration/routing/routes/#matching-behavior
// @see https://developers.cloudflare.com/workers/platform/known-issues/#route-specificity
import { NAME_PATTERN } from './model.js';
import { parseRoutePattern, type RoutePattern } from './route-pattern.js';

export interface RouteTableOptions {
  /** On hosts no pattern names, `/<worker-name>/...` reaches that worker (local and single-host setups). */
  devRoutes: boolean;
}

interface Entry {
  pattern: RoutePattern;
  worker: string;
}

export class RouteTable {
  readonly #exact = new Map<string, Entry[]>();
  /** Keyed by the host suffix after the `*` (`.example.com`, `example.com`). */
  readonly #wildcard = new Map<string, Entry[]>();
  /** The distinct wildcard suffix lengths, longest (most specific) first. */
  readonly #suffixLengths: number[];
  readonly #devRoutes: boolean;

  constructor(routes: readonly { pattern: string; worker: string }[], options: RouteTableOptions) {
    this.#devRoutes = options.devRoutes;
    for (const route of routes) {
      const pattern = parseRoutePattern(route.pattern);
      const index = pattern.hostWildcard ? this.#wildcard : this.#exact;
      const bucket = index.get(pattern.host);
      const entry = { pattern, worker: route.worker };
      if (bucket === undefined) index.set(pattern.host, [entry]);
      else bucket.push(entry);
    }
    for (const bucket of [...this.#exact.values(), ...this.#wildcard.values()]) bucket.sort(byPathSpecificity);
    this.#suffixLengths = [...new Set([...this.#wildcard.keys()].map((suffix) => suffix.length))].sort((a, b) => b - a);
  }

  /**
   * The worker for a request, or null. `host` is the Host header as received (any case, maybe with a
   * port); `target` is the request target in origin form, path and query string: Cloudflare matches
   * the whole URL, so `example.com/a` does not match `/a?x=1` while `example.com/a*` does.
   */
  match(host: string, target: string, isWorker: (name: string) => boolean, scheme: 'http' | 'https' = 'http'): string | null {
    const hostname = normalizeHost(host);
    // A host some pattern names belongs to its routes alone: /<worker-name>/ must not let any other
    // worker answer on (and read the cookies of) a customer's domain.
    let claimed = false;
    if (hostname !== '') {
      const exact = this.#exact.get(hostname);
      claimed = exact !== undefined;
      const found = exact === undefined ? null : firstMatch(exact, target, scheme);
      if (found !== null) return found;
      for (const length of this.#suffixLengths) {
        if (length > hostname.length) continue;
        const bucket = this.#wildcard.get(length === hostname.length ? hostname : hostname.slice(hostname.length - length));
        if (bucket === undefined) continue;
        claimed = true;
        const worker = firstMatch(bucket, target, scheme);
        if (worker !== null) return worker;
      }
    }
    return this.#devRoutes && !claimed ? devRoute(target, isWorker) : null;
  }
}

function firstMatch(bucket: readonly Entry[], target: string, scheme: 'http' | 'https'): string | null {
  for (const { pattern, worker } of bucket) {
    if (pattern.scheme !== null && pattern.scheme !== scheme) continue;
    if (pattern.pathWildcard ? target.startsWith(pattern.path) : target === pattern.path) return worker;
  }
  return null;
}

function byPathSpecificity(a: Entry, b: Entry): number {
  return b.pattern.path.length - a.pattern.path.length
    || Number(a.pattern.pathWildcard) - Number(b.pattern.pathWildcard)
    || Number(b.pattern.scheme !== null) - Number(a.pattern.scheme !== null);
}

/** Lower case, without the port and a trailing dot; `''` when nothing is left to match. */
function normalizeHost(host: string): string {
  let end = host.length;
  if (host.startsWith('[')) {
    // An IPv6 literal: no pattern names one, but its colons must not be read as a port.
    const close = host.indexOf(']');
    end = close === -1 ? end : close + 1;
  } else {
    const colon = host.lastIndexOf(':');
    if (colon !== -1) end = colon;
  }
  if (end > 0 && host.charCodeAt(end - 1) === 0x2e /* . */) end--;
  return host.slice(0, end).toLowerCase();
}

/** `/<name>` and `/<name>/...` (query string allowed) name a worker that exists. */
function devRoute(target: string, isWorker: (name: string) => boolean): string | null {
  if (!target.startsWith('/')) return null;
  let end = 1;
  while (end < target.length && target[end] !== '/' && target[end] !== '?') end++;
  const name = target.slice(1, end);
  return NAME_PATTERN.test(name) && isWorker(name) ? name : null;
}
