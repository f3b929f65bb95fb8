// `islet serve` on a port that is taken says so and what to do, and exits, as `islet dev` does.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runIslet } from '../helpers/cli.js';

test('a tenant port already in use is a clear error without a stack trace, and the command exits 1', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'islet-serve-busy-'));
  const blocker = createServer(() => {});
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  try {
    const port = (blocker.address() as AddressInfo).port;
    const result = runIslet(['serve', '--port', String(port), '--admin-port', '0', '--engines', '0', '--data', join(dir, 'data')], dir);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, new RegExp(`Cannot listen: .*EADDRINUSE.*127\\.0\\.0\\.1:${port}.*Choose other ports`));
    assert.doesNotMatch(result.stderr, /\n\s+at /);
  } finally {
    blocker.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
