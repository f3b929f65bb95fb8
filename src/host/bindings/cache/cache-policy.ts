// Whether a response given to cache.put() is stored, for how long, and with which header fields.
// Islet follows RFC 9111 for a shared cache, with Cloudflare's documented choices where the RFC leaves
// room or Cloudflare differs:
// - no explicit freshness: Cloudflare's default edge TTL by status code (200, 206, 301: 2 h; 302, 303:
//   20 min; 404, 410: 3 min; any other status is not stored), not RFC 9111's heuristic freshness;
// - `Set-Cookie`: never stored, unless `Cache-Control: private=Set-Cookie` asks to store the response
//   without that field;
// - `no-cache` and zero lifetimes: Cloudflare would store and revalidate every time, and cache.match()
//   never revalidates, so such an entry could never be served: it is not stored;
// - `stale-while-revalidate` / `stale-if-error`: not supported by Cloudflare's Cache API, ignored.
// @see https://developers.cloudflare.com/workers/runtime-apis/cache/#headers
// @see https://developers.cloudflare.com/cache/concepts/cache-control/
// @see https://developers.cloudflare.com/cache/how-to/configure-cache-status-code/#edge-ttl
import { deltaSeconds, fieldNameList, fieldValue, fieldValues, httpDate, parseCacheControl, type HeaderList } from './cache-control.js';

/** Cloudflare's edge TTL for a response with neither Cache-Control freshness nor Expires, in seconds. */
const DEFAULT_EDGE_TTL: ReadonlyMap<number, number> = new Map([
  [200, 7200], [206, 7200], [301, 7200],
  [302, 1200], [303, 1200],
  [404, 180], [410, 180],
]);

/**
 * Fields that describe one connection, not the response (RFC 9110 section 7.6.1), or that the cache
 * writes itself when it answers (`age`, `cf-cache-status`, the body's framing).
 */
const NOT_STORED = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade',
  'content-length', 'age', 'cf-cache-status']);

export type StoragePlan =
  | { store: false; reason: string }
  | {
      store: true;
      /** How long the entry is fresh from now, in seconds (its freshness lifetime less its age). */
      ttlSeconds: number;
      /** The age the response already had when it was stored, in seconds (RFC 9111 section 4.2.3). */
      initialAge: number;
      headers: HeaderList;
    };

/** @param nowMs the time of the put, in milliseconds since the epoch */
export function planStorage(status: number, headers: HeaderList, nowMs: number): StoragePlan {
  const directives = parseCacheControl(fieldValues(headers, 'cache-control'));
  if (directives.has('no-store')) return { store: false, reason: 'Cache-Control: no-store' };

  // `private` with a field list stores the rest of the response (RFC 9111 section 5.2.2.7); bare, it
  // forbids a shared cache to store it at all.
  let kept = headers;
  const privateFields = directives.get('private');
  if (privateFields === null) return { store: false, reason: 'Cache-Control: private' };
  if (privateFields !== undefined) {
    const names = new Set(fieldNameList(privateFields));
    kept = kept.filter(([name]) => !names.has(name));
  }
  const noCache = directives.get('no-cache');
  if (noCache === null) return { store: false, reason: 'Cache-Control: no-cache' };
  if (noCache !== undefined) {
    // Cloudflare stores a `no-cache=<fields>` response only when none of those fields is present.
    const names = new Set(fieldNameList(noCache));
    if (kept.some(([name]) => names.has(name))) return { store: false, reason: 'Cache-Control: no-cache=<field> with that field present' };
  }
  if (kept.some(([name]) => name === 'set-cookie')) return { store: false, reason: 'Set-Cookie' };

  const lifetime = freshnessLifetime(status, kept, directives, nowMs);
  if (lifetime === null) return { store: false, reason: `no freshness information, and status ${status} has no default TTL` };
  const initialAge = initialAgeOf(kept, nowMs);
  const ttlSeconds = lifetime - initialAge;
  if (ttlSeconds <= 0) return { store: false, reason: 'not fresh' };
  return { store: true, ttlSeconds, initialAge, headers: kept.filter(([name]) => !NOT_STORED.has(name)) };
}

/**
 * @see https://www.rfc-editor.org/rfc/rfc9111#section-4.2.1: s-maxage (a shared cache), then max-age,
 * then Expires minus Date. An invalid delta-seconds or Expires means already stale (0).
 */
function freshnessLifetime(status: number, headers: HeaderList, directives: Map<string, string | null>, nowMs: number): number | null {
  if (directives.has('s-maxage')) return deltaSeconds(directives.get('s-maxage')) ?? 0;
  if (directives.has('max-age')) return deltaSeconds(directives.get('max-age')) ?? 0;
  const expiresText = fieldValues(headers, 'expires');
  if (expiresText.length > 0) {
    // Several Expires lines: the first counts, as for repeated directives.
    const expires = httpDate(expiresText[0]);
    if (expires === null) return 0;
    const date = httpDate(fieldValue(headers, 'date')) ?? nowMs;
    return Math.max(0, Math.floor((expires - date) / 1000));
  }
  return DEFAULT_EDGE_TTL.get(status) ?? null;
}

/**
 * corrected_initial_age = max(apparent_age, corrected_age_value), with no response delay: put() hands
 * the response over in the same process. @see https://www.rfc-editor.org/rfc/rfc9111#section-4.2.3
 */
function initialAgeOf(headers: HeaderList, nowMs: number): number {
  const date = httpDate(fieldValue(headers, 'date'));
  const apparent = date === null ? 0 : Math.max(0, Math.floor((nowMs - date) / 1000));
  const ageValue = deltaSeconds(fieldValues(headers, 'age')[0]?.trim()) ?? 0;
  return Math.max(apparent, ageValue);
}
