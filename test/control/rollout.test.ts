import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ControlError } from '../../src/host/control/control-error.js';
import type { Deployment } from '../../src/host/control/model.js';
import { bucketOf, cookieValue, pickVersion, splitForDeploy, stickyKeyOf } from '../../src/host/control/rollout.js';

const OLD = '00000000-0000-4000-8000-00000000000a';
const NEW = 'ffffffff-0000-4000-8000-00000000000b';
const headers = (...lines: string[]): string => lines.join('\n');
const noRandom = (): number => assert.fail('random() must not be used with a sticky key');

function deployment(versions: [string, number][], worker = 'shop'): Deployment {
  return { worker, versions: versions.map(([id, percent]) => ({ id, percent })), sticky: { header: 'x-user-id' }, createdAt: '2025-01-01T00:00:00.000Z' };
}

const keys = Array.from({ length: 10_000 }, (_, i) => `user-${i}`);

function shareOf(dep: Deployment, id: string): number {
  return (keys.filter((key) => pickVersion(dep, key, noRandom) === id).length / keys.length) * 100;
}

describe('stickyKeyOf: headers', () => {
  test('the header value, several lines joined as Headers.get joins them', () => {
    const sticky = { header: 'x-user-id' };
    assert.equal(stickyKeyOf(sticky, headers('host:a', 'x-user-id:42')), '42');
    assert.equal(stickyKeyOf(sticky, headers('x-user-id: 42 ', 'x-user-id:7')), '42, 7');
    assert.equal(stickyKeyOf({ header: 'X-User-Id' }, headers('x-user-id:42')), '42');
  });

  test('absent, empty or only a longer name: no key', () => {
    const sticky = { header: 'x-user' };
    assert.equal(stickyKeyOf(sticky, headers('host:a')), null);
    assert.equal(stickyKeyOf(sticky, headers('x-user:')), null);
    assert.equal(stickyKeyOf(sticky, headers('x-user-id:42')), null);
    assert.equal(stickyKeyOf(sticky, ''), null);
    assert.equal(stickyKeyOf(null, headers('x-user:42')), null);
  });
});

describe('stickyKeyOf: cookies (RFC 6265)', () => {
  const sticky = { cookie: 'session' };
  const cases: [string, string[], string | null][] = [
    ['among others', ['cookie:a=1; session=abc; b=2'], 'abc'],
    ['without spaces after ;', ['cookie:a=1;session=abc;b=2'], 'abc'],
    ['with tabs and spaces around', ['cookie:a=1;\t session \t= abc ;b=2'], 'abc'],
    ['first and only', ['cookie:session=abc'], 'abc'],
    ['value in double quotes', ['cookie:session="abc"'], 'abc'],
    ['value containing =', ['cookie:session=a=b=='], 'a=b=='],
    ['first of two with the name wins', ['cookie:session=first; session=second'], 'first'],
    ['split over two cookie lines (HTTP/2)', ['cookie:a=1', 'cookie:session=abc'], 'abc'],
    ['names are case-sensitive', ['cookie:Session=abc; SESSION=def'], null],
    ['a longer name is another cookie', ['cookie:sessionid=abc; my-session=def'], null],
    ['a pair without = is skipped', ['cookie:session; session=abc'], 'abc'],
    ['empty value is no key', ['cookie:session=; a=1'], null],
    ['empty quoted value is no key', ['cookie:session=""'], null],
    ['no cookie header', ['x-cookie:session=abc'], null],
    ['other headers are not cookies', ['set-cookie:session=abc'], null],
    ['empty header', ['cookie:'], null],
  ];
  for (const [name, lines, expected] of cases) {
    test(name, () => assert.equal(stickyKeyOf(sticky, headers('host:example.com', ...lines)), expected));
  }

  test('cookieValue reads header values directly', () => {
    assert.equal(cookieValue(['a=1; b=2'], 'b'), '2');
    assert.equal(cookieValue([], 'b'), null);
  });
});

describe('pickVersion', () => {
  test('one version takes everything without hashing or drawing', () => {
    const dep = deployment([[OLD, 100]]);
    assert.equal(pickVersion(dep, 'k', noRandom), OLD);
    assert.equal(pickVersion(dep, null, noRandom), OLD);
  });

  for (const percent of [1, 10, 25, 50, 90, 99]) {
    test(`over 10,000 sticky keys the new version gets ${percent}% within one point`, () => {
      const share = shareOf(deployment([[NEW, percent], [OLD, 100 - percent]]), NEW);
      assert.ok(Math.abs(share - percent) <= 1, `asked ${percent}%, got ${share}%`);
    });
  }

  test('a client stays on its version, and raising the new version only moves clients onto it', () => {
    const steps = [5, 10, 25, 50, 75, 99];
    let previous = new Map<string, string>();
    for (const percent of steps) {
      const dep = deployment([[NEW, percent], [OLD, 100 - percent]]);
      const now = new Map(keys.map((key) => [key, pickVersion(dep, key, noRandom)]));
      for (const key of keys) assert.equal(pickVersion(dep, key, noRandom), now.get(key), 'same answer every time');
      for (const [key, was] of previous) {
        if (was === NEW) assert.equal(now.get(key), NEW, `${key} left the new version when it grew to ${percent}%`);
      }
      previous = now;
    }
  });

  test('the order the versions are listed in does not matter', () => {
    const a = deployment([[NEW, 30], [OLD, 70]]);
    const b = deployment([[OLD, 70], [NEW, 30]]);
    for (const key of keys.slice(0, 2000)) assert.equal(pickVersion(a, key, noRandom), pickVersion(b, key, noRandom));
  });

  test('the same client is placed independently in different workers', () => {
    const shop = deployment([[NEW, 50], [OLD, 50]], 'shop');
    const blog = deployment([[NEW, 50], [OLD, 50]], 'blog');
    const both = keys.filter((key) => pickVersion(shop, key, noRandom) === NEW && pickVersion(blog, key, noRandom) === NEW).length;
    assert.ok(Math.abs(both / keys.length - 0.25) < 0.02, `${both} of ${keys.length} clients are on the new side of both`);
  });

  test('without a key the draw decides, by percentage', () => {
    const dep = deployment([[NEW, 10], [OLD, 90]]);
    // OLD sorts first, so it owns [0, 9000) and NEW [9000, 10000).
    assert.equal(pickVersion(dep, null, () => 0), OLD);
    assert.equal(pickVersion(dep, null, () => 0.8999), OLD);
    assert.equal(pickVersion(dep, null, () => 0.9), NEW);
    assert.equal(pickVersion(dep, null, () => 0.99999999), NEW);
    let drawn = 0;
    let onNew = 0;
    const seeded = (): number => ((drawn = (drawn * 1103515245 + 12345) % 2 ** 31), drawn / 2 ** 31);
    for (let i = 0; i < 10_000; i++) if (pickVersion(dep, null, seeded) === NEW) onNew++;
    assert.ok(Math.abs(onNew / 100 - 10) <= 1, `${onNew / 100}%`);
  });

  test('buckets are whole numbers from 0 to 9999 and depend on worker and key', () => {
    const bucket = bucketOf('shop', 'user-1');
    assert.ok(Number.isInteger(bucket) && bucket >= 0 && bucket < 10_000);
    assert.equal(bucketOf('shop', 'user-1'), bucket);
    const spread = new Set(keys.slice(0, 1000).map((key) => bucketOf('shop', key)));
    assert.ok(spread.size > 900, `${spread.size} distinct buckets for 1000 keys`);
  });
});

describe('splitForDeploy', () => {
  const current = (versions: [string, number][]): Deployment => deployment(versions);

  test('100% replaces whatever ran', () => {
    assert.deepEqual(splitForDeploy(current([[OLD, 60], [NEW, 40]]), 'v3', 100), [{ id: 'v3', percent: 100 }]);
    assert.deepEqual(splitForDeploy(null, 'v1', 100), [{ id: 'v1', percent: 100 }]);
  });

  test('less than 100%: the version with the most traffic keeps the rest', () => {
    assert.deepEqual(splitForDeploy(current([[OLD, 100]]), 'v2', 10), [{ id: 'v2', percent: 10 }, { id: OLD, percent: 90 }]);
    assert.deepEqual(splitForDeploy(current([[OLD, 30], [NEW, 70]]), 'v3', 5), [{ id: 'v3', percent: 5 }, { id: NEW, percent: 95 }]);
    assert.deepEqual(splitForDeploy(current([[OLD, 50], [NEW, 50]]), 'v3', 5), [{ id: 'v3', percent: 5 }, { id: OLD, percent: 95 }]);
  });

  test('a first deploy cannot share traffic', () => {
    assert.throws(() => splitForDeploy(null, 'v1', 50), (error: unknown) => error instanceof ControlError && error.code === 'invalid_request' && /^percent: /.test(error.message));
  });
});
