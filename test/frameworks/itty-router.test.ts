// An itty-router app written as itty's Cloudflare Workers guide shows it (AutoRouter,
// `export default { fetch: router.fetch }`), run unchanged under the real `islet dev`, with the
// real `itty-router` package resolved from node_modules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { makeProject, runIslet, startIslet } from '../helpers/cli.js';

const WRANGLER = `name = "itty-app"
main = "src/index.ts"
compatibility_date = "2026-11-01"

[vars]
GREETING = "Hello itty!"

[[kv_namespaces]]
binding = "KV"
id = "itty-kv"

# What is tested here is the framework, not the CPU limit: a first request on a loaded machine (the
# router's code compiled on first use, the streams library loaded for a re-wrapped body) must not be
# cut off by the 50 ms default, whose wall-clock backstop a starved process can reach.
[limits]
cpu_ms = 5000
`;

const ENTRY = `import { AutoRouter, cors, error, json, StatusError, type IRequest } from 'itty-router';

interface Env { GREETING: string; KV: KVNamespace }

const { preflight, corsify } = cors({ origin: 'http://example.com', allowMethods: ['GET', 'POST'], maxAge: 600 });

// A before-middleware: stamps the request; returning nothing lets routing continue.
const withStamp = (request: IRequest) => {
  request.stamp = 'stamped:' + request.method;
};

// A route-level middleware that short-circuits by returning a Response.
const withAuth = (request: IRequest) => {
  if (request.headers.get('authorization') !== 'Bearer letmein') return error(401, 'no entry');
};

const router = AutoRouter<IRequest, [Env, ExecutionContext]>({
  before: [preflight, withStamp],
  finally: [corsify, (response: Response) => { response.headers.set('x-powered-by', 'islet-test'); }],
});

router
  .get('/', (_request, env) => env.GREETING)
  .get('/posts/:id', ({ id, query, stamp }) => ({ id, page: query.page ?? null, tag: query.tag ?? null, stamp }))
  .get('/files/:path+', ({ params }) => ({ path: params.path }))
  .post('/echo', async (request) => {
    const body = await request.json() as { name: string; n: number };
    return json({ hello: body.name, doubled: body.n * 2 }, { status: 201 });
  })
  .get('/secret', withAuth, () => ({ secret: 42 }))
  .put('/kv/:key', async (request, env) => {
    await env.KV.put(request.params.key!, await request.text());
    return new Response(null, { status: 204 });
  })
  .get('/kv/:key', async ({ key }, env) => {
    const value = await env.KV.get(key);
    return value === null ? error(404, 'missing ' + key) : { key, value };
  })
  .get('/bad', () => {
    throw new StatusError(400, 'bad input');
  })
  .get('/boom', () => {
    throw new Error('kaboom');
  });

export default { fetch: router.fetch };
`;

test('an itty-router app runs unchanged under islet dev', async () => {
  const dir = makeProject({ 'wrangler.toml': WRANGLER, 'src/index.ts': ENTRY }, ['itty-router']);
  const server = await startIslet(['dev', '--port', '0'], dir);
  try {
    // Env var as the handler's second argument; a returned string becomes JSON (AutoRouter's format).
    const root = await fetch(server.url);
    assert.equal(root.status, 200);
    assert.equal(await root.json(), 'Hello itty!');
    assert.equal(root.headers.get('content-type'), 'application/json; charset=utf-8');
    assert.equal(root.headers.get('x-powered-by'), 'islet-test');

    // Path params read straight off the request (withParams is built in), query, and the
    // value set by the before-middleware.
    const post = await fetch(`${server.url}/posts/42?page=3&tag=a&tag=b`);
    assert.equal(post.status, 200);
    assert.deepEqual(await post.json(), { id: '42', page: '3', tag: ['a', 'b'], stamp: 'stamped:GET' });
    const greedy = await fetch(`${server.url}/files/a/b/c.txt`);
    assert.deepEqual(await greedy.json(), { path: 'a/b/c.txt' });

    // Unknown route: AutoRouter's default missing handler.
    const missing = await fetch(`${server.url}/nope`);
    assert.equal(missing.status, 404);
    assert.deepEqual(await missing.json(), { status: 404, error: 'Not Found' });

    // Route-level middleware short-circuiting with error().
    const denied = await fetch(`${server.url}/secret`);
    assert.equal(denied.status, 401);
    assert.deepEqual(await denied.json(), { status: 401, error: 'no entry' });
    const allowed = await fetch(`${server.url}/secret`, { headers: { Authorization: 'Bearer letmein' } });
    assert.equal(allowed.status, 200);
    assert.deepEqual(await allowed.json(), { secret: 42 });

    // CORS: preflight and corsify.
    const preflight = await fetch(`${server.url}/echo`, {
      method: 'OPTIONS',
      headers: { Origin: 'http://example.com', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type' },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), 'http://example.com');
    assert.equal(preflight.headers.get('access-control-allow-methods'), 'GET,POST');
    assert.equal(preflight.headers.get('access-control-allow-headers'), 'content-type');
    assert.equal(preflight.headers.get('access-control-max-age'), '600');

    // JSON in and out.
    const echo = await fetch(`${server.url}/echo`, {
      method: 'POST',
      headers: { Origin: 'http://example.com', 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'islet', n: 21 }),
    });
    assert.equal(echo.status, 201);
    assert.deepEqual(await echo.json(), { hello: 'islet', doubled: 42 });
    assert.equal(echo.headers.get('access-control-allow-origin'), 'http://example.com');

    // KV through env.KV, visible to `islet kv` afterwards.
    const absent = await fetch(`${server.url}/kv/color`);
    assert.equal(absent.status, 404);
    assert.deepEqual(await absent.json(), { status: 404, error: 'missing color' });
    assert.equal((await fetch(`${server.url}/kv/color`, { method: 'PUT', body: 'teal' })).status, 204);
    assert.deepEqual(await (await fetch(`${server.url}/kv/color`)).json(), { key: 'color', value: 'teal' });
    const cli = runIslet(['kv', 'key', 'get', 'color', '--binding', 'KV', '--local'], dir);
    assert.equal(cli.stdout, 'teal', cli.stderr);

    // Thrown errors become error() responses: StatusError keeps its status, others are 500.
    const bad = await fetch(`${server.url}/bad`);
    assert.equal(bad.status, 400);
    assert.deepEqual(await bad.json(), { status: 400, error: 'bad input' });
    const boom = await fetch(`${server.url}/boom`);
    assert.equal(boom.status, 500);
    assert.deepEqual(await boom.json(), { status: 500, error: 'kaboom' });
    assert.equal(boom.headers.get('x-powered-by'), 'islet-test');
  } catch (err) {
    // What the server said is the first thing to read when a request fails.
    throw new Error(`${(err as Error).message}\nislet dev output:\n${server.output()}`, { cause: err });
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
