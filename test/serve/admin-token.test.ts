import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { AdminTokenError, bearerMatches, isLoopback, resolveAdminToken } from '../../src/host/server/admin/admin-token.js';

test('only "Bearer <the token>" matches, whatever the length of what is sent', () => {
  const token = 'a-long-enough-admin-token';
  assert.equal(bearerMatches(`Bearer ${token}`, token), true);
  assert.equal(bearerMatches(`Bearer ${token}x`, token), false);
  assert.equal(bearerMatches(`Bearer ${token.slice(0, -1)}`, token), false);
  assert.equal(bearerMatches(`Basic ${token}`, token), false);
  assert.equal(bearerMatches(token, token), false);
  assert.equal(bearerMatches(undefined, token), false);
  assert.equal(bearerMatches('Bearer ', token), false);
  assert.equal(bearerMatches(`Bearer${token}`, token), false);
});

test('the scheme is case-insensitive (RFC 9110 section 11.1); the token is not', () => {
  const token = 'a-long-enough-admin-token';
  for (const scheme of ['bearer', 'BEARER', 'BeArEr']) assert.equal(bearerMatches(`${scheme} ${token}`, token), true, scheme);
  assert.equal(bearerMatches(`Bearer  ${token}`, token), true, 'one or more spaces after the scheme (RFC 9110 section 11.4)');
  assert.equal(bearerMatches(`bearer ${token.toUpperCase()}`, token), false);
});

test('without a configured token the admin API is refused beyond loopback', () => {
  const dir = mkdtempSync(join(tmpdir(), 'islet-token-'));
  try {
    assert.throws(() => resolveAdminToken(null, '0.0.0.0', dir), AdminTokenError);
    assert.throws(() => resolveAdminToken(null, '192.168.1.10', dir), /Refusing to serve the admin API on 192\.168\.1\.10 without a token/);
    assert.equal(resolveAdminToken('configured-token-123456', '0.0.0.0', dir).token, 'configured-token-123456');
    assert.throws(() => resolveAdminToken('short', '127.0.0.1', dir), /at least 16 characters/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('on loopback a token is generated once, kept owner-only, and reused on restart', () => {
  const dir = mkdtempSync(join(tmpdir(), 'islet-token-'));
  try {
    const first = resolveAdminToken(null, '127.0.0.1', dir);
    assert.equal(first.file, join(dir, 'admin-token'));
    assert.ok(first.token.length >= 32);
    assert.equal(readFileSync(first.file!, 'utf8').trim(), first.token);
    assert.equal(statSync(first.file!).mode & 0o777, 0o600);
    assert.equal(resolveAdminToken(null, '::1', dir).token, first.token);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('loopback is 127.0.0.0/8, ::1 and localhost', () => {
  for (const ip of ['127.0.0.1', '127.1.2.3', '::1', 'localhost']) assert.equal(isLoopback(ip), true, ip);
  for (const ip of ['0.0.0.0', '::', '10.0.0.1', '128.0.0.1', 'example.com']) assert.equal(isLoopback(ip), false, ip);
});
