// Which version of a split deployment serves a request. A sticky client is hashed, with the worker's
// name, to one of 10,000 buckets, and the versions own consecutive bucket ranges in a fixed order (by
// id, not by the order a deployer listed them): a client keeps its version from request to request,
// and moving percentage between two versions moves only the clients in the range that changes hands.
// Hashing the worker's name too keeps one client from landing on the new side of every rollout at once.
import { HEADER_SEPARATOR } from '../../shared/boundary.js';
import { ControlError } from './control-error.js';
import type { Deployment, StickyBy } from './model.js';

export const BUCKETS = 10_000;

/** The client's sticky key from the boundary-encoded request headers, or null (no header, empty value). */
export function stickyKeyOf(sticky: StickyBy, headers: string): string | null {
  if (sticky === null) return null;
  const wanted = 'header' in sticky ? sticky.header.toLowerCase() : 'cookie';
  const values = headerValues(headers, wanted);
  if (values.length === 0) return null;
  if ('header' in sticky) {
    // Several lines of one header are one value, as Headers.get() joins them.
    const value = values.join(', ');
    return value === '' ? null : value;
  }
  return cookieValue(values, sticky.cookie);
}

/**
 * RFC 6265 section 5.4 / 4.2.1: `name=value` pairs separated by `;` and optional whitespace. HTTP/2
 * may split them over several `cookie` lines, which read as one. The first pair with the name wins
 * (the user agent lists the most specific cookie first); names compare case-sensitively; a value in
 * double quotes is the same cookie value without them; a pair without `=` is skipped (its name is empty).
 */
export function cookieValue(cookieHeaders: readonly string[], name: string): string | null {
  for (const header of cookieHeaders) {
    for (const pair of header.split(';')) {
      const equals = pair.indexOf('=');
      if (equals === -1) continue;
      if (trimOws(pair.slice(0, equals)) !== name) continue;
      let value = trimOws(pair.slice(equals + 1));
      if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
      return value === '' ? null : value;
    }
  }
  return null;
}

/** The bucket (0..9999) a sticky key falls in for a worker; the same in every process and release. */
export function bucketOf(worker: string, key: string): number {
  // FNV-1a over the UTF-16 code units of worker, NUL (NAME_PATTERN excludes it, so the pair is
  // unambiguous) and key, then MurmurHash3's finalizer so that keys differing only in their last
  // characters spread over all buckets. Not cryptographic: a client choosing its key can choose its
  // version anyway. It runs on every request, where a digest would cost microseconds.
  let hash = 0x811c9dc5;
  const text = worker + '\0' + key;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  // 2^32 is not a multiple of 10,000; the bias this leaves is below one part in 400,000.
  return (hash >>> 0) % BUCKETS;
}

/** The version a deployment sends the largest share of its traffic to. */
export function primaryOf(deployment: Deployment): string {
  return [...deployment.versions].sort((a, b) => b.percent - a.percent)[0]!.id;
}

/** The version id for one request. `random` gives [0, 1), as Math.random does; it is used only without a key. */
export function pickVersion(deployment: Deployment, stickyKey: string | null, random: () => number): string {
  const ranges = rangesOf(deployment);
  if (ranges.ids.length === 1) return ranges.ids[0]!;
  const bucket = stickyKey === null
    ? Math.min(BUCKETS - 1, Math.floor(random() * BUCKETS))
    : bucketOf(deployment.worker, stickyKey);
  for (let i = 0; i < ranges.ids.length; i++) {
    if (bucket < ranges.ends[i]!) return ranges.ids[i]!;
  }
  return ranges.ids[ranges.ids.length - 1]!;
}

/**
 * The versions a deploy of `newId` at `percent` leaves taking traffic: the new version takes its share
 * and the version that had the most traffic (the first listed among equals) keeps the rest.
 */
export function splitForDeploy(current: Deployment | null, newId: string, percent: number): { id: string; percent: number }[] {
  if (percent === 100) return [{ id: newId, percent: 100 }];
  let top: { id: string; percent: number } | undefined;
  for (const entry of current?.versions ?? []) {
    if (top === undefined || entry.percent > top.percent) top = entry;
  }
  if (top === undefined) {
    throw new ControlError('invalid_request', 'percent: the worker has no deployment yet to share traffic with; deploy it at 100 first');
  }
  return [{ id: newId, percent }, { id: top.id, percent: 100 - percent }];
}

interface Ranges {
  ids: string[];
  /** Exclusive bucket end of each version's range. */
  ends: number[];
}

// Deployments are immutable records handed around by reference, so each one's ranges are worked out once.
const rangeCache = new WeakMap<Deployment, Ranges>();

function rangesOf(deployment: Deployment): Ranges {
  const cached = rangeCache.get(deployment);
  if (cached !== undefined) return cached;
  if (deployment.versions.length === 0) throw new Error(`deployment of worker "${deployment.worker}" has no versions`);
  const sorted = [...deployment.versions].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const ranges: Ranges = { ids: [], ends: [] };
  let end = 0;
  for (const { id, percent } of sorted) {
    end += percent * (BUCKETS / 100);
    ranges.ids.push(id);
    ranges.ends.push(end);
  }
  rangeCache.set(deployment, ranges);
  return ranges;
}

function headerValues(headers: string, name: string): string[] {
  const values: string[] = [];
  const prefix = name + ':';
  for (const line of headers.split(HEADER_SEPARATOR)) {
    if (line.startsWith(prefix)) values.push(trimOws(line.slice(prefix.length)));
  }
  return values;
}

/** Optional whitespace (SP, HTAB) around values, as RFC 9110 and RFC 6265 allow. */
function trimOws(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && (text[start] === ' ' || text[start] === '\t')) start++;
  while (end > start && (text[end - 1] === ' ' || text[end - 1] === '\t')) end--;
  return text.slice(start, end);
}
