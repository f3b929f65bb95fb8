// The workers the JavaScript RPC tests run under islet serve and islet dev: a callee whose default
// export and a named export extend WorkerEntrypoint, and a caller that reports every call's outcome.
// Expected values follow https://developers.cloudflare.com/workers/runtime-apis/rpc/ .

export const RPC_CALLEE = `import { WorkerEntrypoint } from 'cloudflare:workers';
export class Admin extends WorkerEntrypoint {
  async fetch(request) { return new Response('admin fetch ' + new URL(request.url).pathname); }
  whoami() { return 'admin of ' + this.env.GREETING; }
}
export default class extends WorkerEntrypoint {
  async fetch(request) { return new Response('default fetch ' + new URL(request.url).pathname); }
  add(a, b) { return a + b; }
  async echo(value) { return value; }
  async fail() { throw new RangeError('too far'); }
  custom() { const e = new Error('custom failure'); e.name = 'MyError'; throw e; }
  greeting() { return this.env.GREETING; }
  context() { return typeof this.ctx.waitUntil; }
  giveFunction() { return () => 1; }
}`;

export const RPC_CALLER = `export default { async fetch(request, env) {
  const run = async (f) => { try { return { ok: true, value: await f() }; } catch (e) { return { ok: false, name: e.name, message: e.message }; } };
  return Response.json({
    add: await run(() => env.CALLEE.add(2, 3)),
    echo: await run(async () => {
      const v = await env.CALLEE.echo({ m: new Map([[1, 'a']]), d: new Date(5), b: new Uint8Array([1, 2]), n: null });
      return [v.m instanceof Map, v.m.get(1), v.d instanceof Date, v.d.getTime(), v.b instanceof Uint8Array, Array.from(v.b), v.n];
    }),
    fail: await run(() => env.CALLEE.fail()),
    custom: await run(() => env.CALLEE.custom()),
    missing: await run(() => env.CALLEE.nope()),
    reserved: await run(() => env.CALLEE.scheduled()),
    greeting: await run(() => env.CALLEE.greeting()),
    context: await run(() => env.CALLEE.context()),
    fetch: await run(async () => (await env.CALLEE.fetch('https://callee.internal/path')).text()),
    admin: await run(() => env.ADMIN.whoami()),
    adminFetch: await run(async () => (await env.ADMIN.fetch('https://callee.internal/a')).text()),
    argFunction: await run(() => env.CALLEE.echo(() => 1)),
    resultFunction: await run(() => env.CALLEE.giveFunction()),
    notThenable: (await env.CALLEE) === env.CALLEE,
  });
} }`;

/** What the caller must report; the callee's env has GREETING = "hello". */
export const RPC_EXPECTED = {
  add: { ok: true, value: 5 },
  echo: { ok: true, value: [true, 'a', true, 5, true, [1, 2], null] },
  fail: { ok: false, name: 'RangeError', message: 'too far' },
  // Only the built-in error types keep their name across RPC; others arrive as Error.
  custom: { ok: false, name: 'Error', message: 'custom failure' },
  missing: { ok: false, name: 'TypeError', message: 'The RPC receiver does not implement the method "nope".' },
  reserved: { ok: false, name: 'TypeError', message: 'The RPC receiver does not implement the method "scheduled".' },
  greeting: { ok: true, value: 'hello' },
  context: { ok: true, value: 'function' },
  fetch: { ok: true, value: 'default fetch /path' },
  admin: { ok: true, value: 'admin of hello' },
  adminFetch: { ok: true, value: 'admin fetch /a' },
  argFunction: { ok: false, name: 'DataCloneError', message: 'Could not serialize argument 1 of echo(): functions cannot be passed over RPC.' },
  notThenable: true,
} as const;
