// What cache.match() answers from a stored entry: the response with `cf-cache-status: HIT` and its
// current `age`, or 304 for a conditional request the entry satisfies, or 206 / 416 for a Range.
// @see https://developers.cloudflare.com/workers/runtime-apis/cache/#match
// @see https://www.rfc-editor.org/rfc/rfc9110#section-13.2.2 (order of evaluation)
import { fieldValue, httpDate, type HeaderList } from './cache-control.js';

export interface StoredResponse {
  status: number;
  statusText: string;
  headers: HeaderList;
  body: Uint8Array;
  /** Milliseconds since the epoch. */
  storedAt: number;
  /** Seconds of age the response had when it was stored. */
  initialAge: number;
}

/** The request fields match() looks at; null when absent. */
export interface MatchConditions {
  range: string | null;
  ifNoneMatch: string | null;
  ifModifiedSince: string | null;
  ifRange: string | null;
}

export interface CacheAnswer {
  status: number;
  statusText: string;
  headers: HeaderList;
  /** null for a response that has no content (304, 416). */
  body: Uint8Array | null;
}

export function answerFromEntry(entry: StoredResponse, conditions: MatchConditions, nowMs: number): CacheAnswer {
  // RFC 9111 section 4: a response served from a cache carries its current age.
  const age = entry.initialAge + Math.max(0, Math.floor((nowMs - entry.storedAt) / 1000));
  const headers: HeaderList = [...entry.headers, ['age', String(age)], ['cf-cache-status', 'HIT']];

  // Preconditions are ignored when the response would not be a 2xx (RFC 9110 section 13.2.1).
  const successful = entry.status >= 200 && entry.status < 300;
  if (successful && notModified(entry.headers, conditions)) {
    return { status: 304, statusText: 'Not Modified', headers, body: null };
  }

  // Range applies to a 200 only; a stored 200 always knows its length, which Cloudflare requires.
  if (entry.status === 200 && conditions.range !== null && ifRangeHolds(entry.headers, conditions.ifRange)) {
    const size = entry.body.byteLength;
    const range = parseRange(conditions.range, size);
    if (range === 'unsatisfiable') {
      return { status: 416, statusText: 'Range Not Satisfiable', headers: [['content-range', `bytes */${size}`], ['cf-cache-status', 'HIT']], body: null };
    }
    if (range !== null) {
      const [first, last] = range;
      headers.push(['content-range', `bytes ${first}-${last}/${size}`], ['content-length', String(last - first + 1)]);
      return { status: 206, statusText: 'Partial Content', headers, body: entry.body.subarray(first, last + 1) };
    }
  }
  headers.push(['content-length', String(entry.body.byteLength)]);
  return { status: entry.status, statusText: entry.statusText, headers, body: entry.body };
}

/**
 * If-None-Match first; If-Modified-Since only when If-None-Match is absent (RFC 9110 section 13.2.2,
 * steps 3 and 4). If-None-Match uses the weak comparison (section 13.1.2); If-Modified-Since needs
 * the entry's Last-Modified, as Cloudflare documents.
 */
function notModified(stored: HeaderList, conditions: MatchConditions): boolean {
  if (conditions.ifNoneMatch !== null) {
    const etag = fieldValue(stored, 'etag');
    if (conditions.ifNoneMatch.trim() === '*') return true;
    if (etag === null) return false;
    const opaque = opaqueTag(etag);
    if (opaque === null) return false;
    return entityTags(conditions.ifNoneMatch).some((tag) => opaqueTag(tag) === opaque);
  }
  if (conditions.ifModifiedSince !== null) {
    // A value that is not one valid HTTP-date is ignored (RFC 9110 section 13.1.3).
    const since = httpDate(conditions.ifModifiedSince);
    const lastModified = httpDate(fieldValue(stored, 'last-modified'));
    if (since === null || lastModified === null) return false;
    return lastModified <= since;
  }
  return false;
}

/**
 * If-Range: the Range applies only if the validator matches the entry, an entity tag by the strong
 * comparison, a date exactly. @see https://www.rfc-editor.org/rfc/rfc9110#section-13.1.5
 */
function ifRangeHolds(stored: HeaderList, ifRange: string | null): boolean {
  if (ifRange === null) return true;
  const value = ifRange.trim();
  if (value.startsWith('"') || value.startsWith('W/')) {
    const etag = fieldValue(stored, 'etag')?.trim() ?? null;
    return etag !== null && !etag.startsWith('W/') && !value.startsWith('W/') && etag === value;
  }
  const date = httpDate(value);
  const lastModified = httpDate(fieldValue(stored, 'last-modified'));
  return date !== null && lastModified !== null && date === lastModified;
}

/** The opaque part of an entity-tag, without `W/` (weak comparison), or null if it is not one. */
function opaqueTag(tag: string): string | null {
  const match = /^(?:W\/)?("[^"]*")$/.exec(tag.trim());
  return match === null ? null : match[1]!;
}

/** The entity-tags of an If-None-Match list; commas inside a quoted tag do not split it. */
function entityTags(list: string): string[] {
  return list.match(/(?:W\/)?"[^"]*"/g) ?? [];
}

/**
 * One byte range of a representation `size` bytes long, as [first, last] inclusive; null when the
 * field is to be ignored (not bytes, malformed, several ranges, an empty representation), or
 * 'unsatisfiable'. Several ranges would need a multipart/byteranges answer; serving the whole
 * representation instead is allowed (RFC 9110 section 14.2). @see https://www.rfc-editor.org/rfc/rfc9110#section-14.1.2
 */
export function parseRange(field: string, size: number): [number, number] | 'unsatisfiable' | null {
  const match = /^bytes=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(field.trim());
  if (match === null || size === 0) return null;
  const [, firstText, lastText] = match as unknown as [string, string, string];
  if (firstText === '' && lastText === '') return null;
  if (firstText === '') {
    // A suffix range: the last N bytes, or the whole representation when it is shorter.
    const suffix = Number(lastText);
    if (suffix === 0) return 'unsatisfiable';
    return [Math.max(0, size - suffix), size - 1];
  }
  const first = Number(firstText);
  // last-pos below first-pos makes the range invalid, so the field is ignored (RFC 9110 section 14.1.1).
  if (lastText !== '' && Number(lastText) < first) return null;
  if (first >= size) return 'unsatisfiable';
  return [first, lastText === '' ? size - 1 : Math.min(Number(lastText), size - 1)];
}
