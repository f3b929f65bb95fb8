// The admin API's one credential: a bearer token, compared in constant time. On loopback a server
// started without one makes one up and leaves it in the data directory (readable by its owner only),
// so a first `islet serve` is safe without set-up; beyond loopback it must be configured.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';

export class AdminTokenError extends Error {
  readonly code = 'ERR_ADMIN_TOKEN';
}

/**
 * `Authorization: Bearer <token>`. The scheme is case-insensitive and followed by one or more spaces
 * (RFC 9110 section 11.1 and 11.4), so `bearer` and `BEARER` are the same. Hashing both sides first
 * makes the comparison constant-time also across different lengths.
 */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const credentials = header === undefined ? null : /^bearer +(.*)$/is.exec(header);
  if (credentials === null) return false;
  const given = createHash('sha256').update(credentials[1]!.trim()).digest();
  const wanted = createHash('sha256').update(token).digest();
  return timingSafeEqual(given, wanted);
}

export function isLoopback(ip: string): boolean {
  if (ip === 'localhost' || ip === '::1') return true;
  return isIP(ip) === 4 && ip.startsWith('127.');
}

export interface ResolvedToken {
  token: string;
  /** Where a generated token was written, or null when it came from the configuration. */
  file: string | null;
}

export function resolveAdminToken(configured: string | null, adminIp: string, dataDir: string): ResolvedToken {
  if (configured !== null) {
    if (configured.length < 16) throw new AdminTokenError('The admin token must be at least 16 characters long.');
    return { token: configured, file: null };
  }
  if (!isLoopback(adminIp)) {
    throw new AdminTokenError(`Refusing to serve the admin API on ${adminIp} without a token: set ISLET_ADMIN_TOKEN or admin_token in the config, or keep the admin API on loopback.`);
  }
  const file = join(dataDir, 'admin-token');
  if (existsSync(file)) {
    const saved = readFileSync(file, 'utf8').trim();
    if (saved.length >= 16) return { token: saved, file };
  }
  const token = randomBytes(24).toString('base64url');
  writeFileSync(file, token + '\n', { mode: 0o600 });
  return { token, file };
}
