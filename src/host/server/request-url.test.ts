import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostOf, pathOf, requestUrl } from './request-url.js';

test('origin-form targets are joined to the Host, dot segments resolved', () => {
  assert.equal(requestUrl('example.com', '/a/b?x=1'), 'http://example.com/a/b?x=1');
  assert.equal(requestUrl('127.0.0.1:8787', '/'), 'http://127.0.0.1:8787/');
  assert.equal(requestUrl('[::1]:8787', '/x'), 'http://[::1]:8787/x');
  assert.equal(requestUrl('example.com', '/a/../../b'), 'http://example.com/b');
  assert.equal(requestUrl('example.com', '/a/./b/.'), 'http://example.com/a/b/');
  assert.equal(requestUrl('example.com', '/a%2e%2e/b'), 'http://example.com/a%2e%2e/b');
  // A percent-encoded dot segment is still a dot segment.
  assert.equal(requestUrl('example.com', '/a/%2e%2E/b'), 'http://example.com/b');
  assert.equal(requestUrl('example.com', '/file.txt'), 'http://example.com/file.txt');
  // The URL Standard percent-encodes a space and a quote in the path.
  assert.equal(requestUrl('example.com', '/a b"'), 'http://example.com/a%20b%22');
});

test('a Host that is not a host is refused, so it cannot move the path', () => {
  for (const host of ['x/ok?', '127.0.0.1:8795/bad/admin?', 'a@b', 'exa mple.com', '[::1', 'evil.com:99999', '', undefined]) {
    assert.equal(requestUrl(host, '/good'), null, String(host));
  }
});

test('absolute-form targets carry their own authority', () => {
  assert.equal(requestUrl('ignored.example', 'http://evil.example/echo'), 'http://evil.example/echo');
  assert.equal(requestUrl('h', 'ftp://x/'), null);
  assert.equal(requestUrl('h', 'http://user:pw@x/'), null);
  assert.equal(requestUrl('h', '*'), null);
});

test('pathOf gives back path and query', () => {
  assert.equal(pathOf('http://example.com:8080/a/b?c'), '/a/b?c');
  assert.equal(pathOf('http://[::1]/x'), '/x');
  assert.equal(hostOf('http://example.com:8080/a/b?c'), 'example.com:8080');
});
