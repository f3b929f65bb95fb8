// The host half of the Cache API (`caches.default`, `caches.open(name)`) for one partition: a tenant
// under islet serve, a worker under islet dev. The sandbox half has already applied the checks that
// throw in the tenant's code (method, 206, Vary: *); this half re-checks what it is given, decides
// what may be stored (cache-policy.ts) and how a stored entry answers a request (cache-answer.ts).
import { MAX_CACHE_ENTRY_BYTES } from '../../../shared/cache-limits.js';
import type { CacheStore, MaybePromise } from '../../storage/cache/cache-store.js';
import { answerFromEntry, type CacheAnswer, type MatchConditions } from './cache-answer.js';
import {
  bodyBytes, cacheKeyOf, checkStatus, checkStatusText, condition, encodeHeaderBlock, parseHeaderBlock, urlKeyOf,
} from './cache-input.js';
import { planStorage } from './cache-policy.js';

export class CacheBinding {
  readonly #store: CacheStore;
  readonly #partition: string;
  readonly #clock: () => number;

  /** `clock` returns milliseconds since the Unix epoch, like `Date.now`. */
  constructor(store: CacheStore, partition: string, clock: () => number = Date.now) {
    this.#store = store;
    this.#partition = partition;
    this.#clock = clock;
  }

  /** The answer for a GET of `url`, or null when no fresh entry is stored. */
  match(cacheName: unknown, url: unknown, conditions: readonly unknown[]): MaybePromise<CacheAnswer | null> {
    const cache = cacheKeyOf(cacheName);
    const key = urlKeyOf(url);
    const [range, ifNoneMatch, ifModifiedSince, ifRange] = conditions;
    const asked: MatchConditions = {
      range: condition(range), ifNoneMatch: condition(ifNoneMatch), ifModifiedSince: condition(ifModifiedSince), ifRange: condition(ifRange),
    };
    const now = this.#clock();
    const found = this.#store.get(this.#partition, cache, key, now);
    const answer = (entry: Awaited<typeof found>): CacheAnswer | null => entry === null ? null
      : answerFromEntry({ ...entry, headers: parseHeaderBlock(entry.headers) }, asked, now);
    return found instanceof Promise ? found.then(answer) : answer(found);
  }

  /**
   * Stores the response when its headers allow it. Like Cloudflare's cache.put(), a response that may
   * not be stored (no-store, private, Set-Cookie, too large ...) is dropped without an error.
   */
  put(cacheName: unknown, url: unknown, status: unknown, statusText: unknown, headers: unknown, body: unknown): MaybePromise<void> {
    const cache = cacheKeyOf(cacheName);
    const key = urlKeyOf(url);
    const code = checkStatus(status);
    const text = checkStatusText(statusText);
    const fields = parseHeaderBlock(headers);
    const bytes = bodyBytes(body);
    // 206 and 304 are refused or dropped by the sandbox half already; a broken runtime gets the same.
    if (code === 206 || code === 304) return;
    if (bytes.byteLength > MAX_CACHE_ENTRY_BYTES) return;
    const now = this.#clock();
    const plan = planStorage(code, fields, now);
    if (!plan.store) return;
    return this.#store.put(this.#partition, cache, key, {
      status: code,
      statusText: text,
      headers: encodeHeaderBlock(plan.headers),
      body: bytes,
      storedAt: now,
      expiresAt: now + plan.ttlSeconds * 1000,
      initialAge: plan.initialAge,
    });
  }

  /** Whether a fresh entry was stored under `url`; it is gone afterwards. */
  delete(cacheName: unknown, url: unknown): MaybePromise<boolean> {
    return this.#store.delete(this.#partition, cacheKeyOf(cacheName), urlKeyOf(url), this.#clock());
  }
}
