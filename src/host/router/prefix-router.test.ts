import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PrefixRouter } from './prefix-router.js';

test('matches on whole path segments, longest prefix first', () => {
  const router = new PrefixRouter([
    { prefix: '/api', target: 'api' },
    { prefix: '/api/v2/', target: 'v2' },
    { prefix: '/hello', target: 'hello' },
  ]);
  assert.equal(router.match('/api'), 'api');
  assert.equal(router.match('/api/users?x=1'), 'api');
  assert.equal(router.match('/api/v2/users'), 'v2');
  assert.equal(router.match('/apix'), null);
  assert.equal(router.match('/hello?name=a'), 'hello');
  assert.equal(router.match('/'), null);
});

test('an empty prefix catches everything else', () => {
  const router = new PrefixRouter([{ prefix: '/a', target: 'a' }, { prefix: '', target: 'default' }]);
  assert.equal(router.match('/a/b'), 'a');
  assert.equal(router.match('/b'), 'default');
});
