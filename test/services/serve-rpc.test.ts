// JavaScript RPC over service bindings under islet serve, caller and callee in different engine
// processes (engines: 2): the call goes engine -> supervisor -> the callee's engine and back.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { engineSlot } from '../../src/host/engines/supervisor.js';
import { startTestServe, type TestServe } from '../helpers/serve.js';
import { RPC_CALLEE, RPC_CALLER, RPC_EXPECTED } from './rpc-cases.js';

async function deployToSlot(serve: TestServe, name: string, code: string, slot: number, extra: Record<string, unknown>): Promise<void> {
  for (let i = 0; i < 20; i++) {
    const answer = await serve.deploy(name, code, extra);
    assert.equal(answer.status, 201, JSON.stringify(answer.json));
    if (engineSlot(name, 2) === slot) return;
  }
  assert.fail(`no version of ${name} landed in engine ${slot}`);
}

describe('JavaScript RPC on service bindings in islet serve', () => {
  let serve: TestServe;
  before(async () => {
    serve = await startTestServe({ engines: 2 });
    await deployToSlot(serve, 'callee', RPC_CALLEE, 1, { tenant: 'acme', config: { vars: { GREETING: 'hello' } } });
    await deployToSlot(serve, 'caller', RPC_CALLER, 0, {
      tenant: 'acme',
      config: { services: [{ binding: 'CALLEE', service: 'callee' }, { binding: 'ADMIN', service: 'callee', entrypoint: 'Admin' }] },
    });
  });
  after(() => serve.close());

  test('methods, clones, errors, entrypoints and fetch across engines', async () => {
    const res = await fetch(`${serve.url}/caller/`);
    assert.equal(res.status, 200);
    const json = await res.json() as Record<string, unknown>;
    const { resultFunction, ...rest } = json;
    assert.deepEqual(rest, RPC_EXPECTED);
    // A result that cannot be cloned fails the call rather than the callee's worker.
    assert.equal((resultFunction as { ok: boolean; name: string }).ok, false);
    assert.equal((resultFunction as { name: string }).name, 'DataCloneError');
  });

  test('a worker whose default export is a WorkerEntrypoint class serves requests itself', async () => {
    const res = await fetch(`${serve.url}/callee/direct`);
    assert.equal(await res.text(), 'default fetch /callee/direct');
  });
});
