// Analytics Engine points arriving from an engine. The engine checked them against Workers' limits,
// but an engine runs tenant code, so the supervisor checks every field again and takes the tenant and
// dataset from the spec it sent for that version, never from the message.
import { MAX_BLOB_BYTES, MAX_BLOBS, MAX_DOUBLES, MAX_INDEX_BYTES } from '../bindings/analytics/analytics-limits.js';
import type { AnalyticsPoint } from '../storage/analytics/analytics-store.js';
import type { VersionSpec } from './engine-protocol.js';

export type DatasetGrants = NonNullable<VersionSpec['analytics']>;

/**
 * Blobs cross as text: an ArrayBuffer blob of n bytes decodes to at most 3n bytes of UTF-8 (every
 * invalid byte becoming U+FFFD), so that is the most an honest engine can send.
 */
const MAX_DECODED = 3;

function isStringWithin(value: unknown, bytes: number): value is string {
  return typeof value === 'string' && value.length <= bytes && Buffer.byteLength(value, 'utf8') <= bytes;
}

/** The points of one 'points' message that check out; anything malformed is dropped. */
export function pointsFromEngine(batch: unknown, grantsOf: (versionId: string) => DatasetGrants | undefined): AnalyticsPoint[] {
  if (!Array.isArray(batch)) return [];
  const points: AnalyticsPoint[] = [];
  for (const entry of batch as unknown[]) {
    if (!Array.isArray(entry) || entry.length !== 6) continue;
    const [versionId, binding, timestamp, index1, blobs, doubles] = entry as unknown[];
    if (typeof versionId !== 'string' || typeof binding !== 'number') continue;
    const grant = grantsOf(versionId)?.[binding];
    if (grant === undefined) continue;
    if (typeof timestamp !== 'number' || !Number.isSafeInteger(timestamp) || timestamp < 0) continue;
    if (!isStringWithin(index1, MAX_INDEX_BYTES * MAX_DECODED)) continue;
    if (!Array.isArray(blobs) || blobs.length > MAX_BLOBS || !Array.isArray(doubles) || doubles.length > MAX_DOUBLES) continue;
    let total = 0;
    let valid = true;
    for (const blob of blobs as unknown[]) {
      if (!isStringWithin(blob, MAX_BLOB_BYTES * MAX_DECODED)) { valid = false; break; }
      total += Buffer.byteLength(blob, 'utf8');
    }
    if (!valid || total > MAX_BLOB_BYTES * MAX_DECODED || !(doubles as unknown[]).every((d) => typeof d === 'number')) continue;
    points.push({ tenant: grant.tenant, dataset: grant.dataset, timestamp, index1, blobs: blobs as string[], doubles: doubles as number[] });
  }
  return points;
}
