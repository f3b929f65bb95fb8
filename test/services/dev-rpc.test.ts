// JavaScript RPC over service bindings under islet dev with two configs (-c a -c b): the callee runs
// beside the served worker in the same process.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeProject, startIslet, type Running } from '../helpers/cli.js';
import { RPC_CALLEE, RPC_CALLER, RPC_EXPECTED } from './rpc-cases.js';

describe('JavaScript RPC on service bindings in islet dev', () => {
  let dir: string;
  let dev: Running;
  before(async () => {
    dir = makeProject({
      'front/wrangler.toml': 'name = "front"\nmain = "index.js"\ncompatibility_date = "2025-01-01"\n'
        + '[[services]]\nbinding = "CALLEE"\nservice = "callee"\n[[services]]\nbinding = "ADMIN"\nservice = "callee"\nentrypoint = "Admin"\n',
      'front/index.js': RPC_CALLER,
      'callee/wrangler.toml': 'name = "callee"\nmain = "index.js"\ncompatibility_date = "2025-01-01"\n[vars]\nGREETING = "hello"\n',
      'callee/index.js': RPC_CALLEE,
    });
    dev = await startIslet(['dev', '-c', 'front/wrangler.toml', '-c', 'callee/wrangler.toml', '--port', '0', '--persist-to', join(dir, '.islet')], dir);
  });
  after(async () => {
    await dev.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('methods, clones, errors, entrypoints and fetch', async () => {
    const res = await fetch(`${dev.url}/`);
    assert.equal(res.status, 200);
    const { resultFunction, ...rest } = await res.json() as Record<string, unknown>;
    assert.deepEqual(rest, RPC_EXPECTED);
    assert.equal((resultFunction as { name: string }).name, 'DataCloneError');
  });
});
