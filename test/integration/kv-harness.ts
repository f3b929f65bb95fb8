// Runs tenant code against env.KV in a real worker: each request's body is the inside of an async
// function of env, and the worker answers with its result or the error it threw.
import assert from 'node:assert/strict';
import type { WorkerServer } from '../helpers/worker-server.js';

export const EVAL_WORKER = `export default { async fetch(request, env) {
  const run = new Function('env', 'return (async () => {' + await request.text() + '})()');
  try {
    return Response.json({ ok: true, result: await run(env) });
  } catch (error) {
    return Response.json({ ok: false, name: error?.constructor?.name, message: String(error?.message) });
  }
} };`;

// These tests are about KV semantics; copying 25 MiB values in and out must not trip the CPU limit
// on a loaded machine.
export const KV_OPTIONS = { kvNamespaces: [{ binding: 'KV', id: 'ns1' }], limits: { cpuMs: 5_000 } };

type Outcome = { ok: true; result: unknown } | { ok: false; name: string; message: string };

async function outcome(server: WorkerServer, body: string): Promise<Outcome> {
  const response = await server.fetch('/', { method: 'POST', body });
  const text = await response.text();
  assert.equal(response.status, 200, `worker answered ${response.status}: ${text}`);
  return JSON.parse(text) as Outcome;
}

/** The value the code returned; fails the test if it threw. */
export async function run(server: WorkerServer, body: string): Promise<unknown> {
  const result = await outcome(server, body);
  if (!result.ok) assert.fail(`worker threw ${result.name}: ${result.message}`);
  return result.result;
}

/** Asserts the code threw exactly this error, as the tenant sees it. */
export async function rejects(server: WorkerServer, body: string, name: string, message: string): Promise<void> {
  assert.deepEqual(await outcome(server, body), { ok: false, name, message });
}
