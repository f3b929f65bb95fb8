// A Hono app written as Hono's Cloudflare Workers guide shows it (`export default app`), run
// unchanged under the real `islet dev`, with the real `hono` package resolved from node_modules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { makeProject, runIslet, startIslet } from '../helpers/cli.js';

const WRANGLER = `name = "hono-app"
main = "src/index.ts"
compatibility_date = "2026-11-01"

[vars]
GREETING = "Hello Hono!"

[[kv_namespaces]]
binding = "KV"
id = "hono-kv"

# What is tested here is the framework, not the CPU limit: a first request on a loaded machine (the
# router's code compiled on first use, the streams library loaded for a re-wrapped body) must not be
# cut off by the 50 ms default, whose wall-clock backstop a starved process can reach.
[limits]
cpu_ms = 5000
`;

const ENTRY = `import { Hono } from 'hono';
import { cors } from 'hono/cors';
import { HTTPException } from 'hono/http-exception';

type Bindings = { GREETING: string; KV: KVNamespace };

const app = new Hono<{ Bindings: Bindings }>();

app.use('*', async (c, next) => {
  await next();
  c.header('X-Powered-By', 'islet-test');
});

app.use('/api/*', cors({
  origin: 'http://example.com',
  allowHeaders: ['X-Custom-Header', 'Content-Type'],
  allowMethods: ['POST', 'GET', 'OPTIONS'],
  exposeHeaders: ['Content-Length', 'X-Kuma-Revision'],
  maxAge: 600,
  credentials: true,
}));

app.get('/', (c) => c.text(c.env.GREETING));

app.get('/posts/:id', (c) => {
  const id = c.req.param('id');
  const page = c.req.query('page');
  return c.json({ id, page: page ?? null, tags: c.req.queries('tag') ?? [] });
});

app.post('/api/echo', async (c) => {
  const body = await c.req.json<{ name: string; n: number }>();
  return c.json({ hello: body.name, doubled: body.n * 2 }, 201);
});

app.put('/kv/:key', async (c) => {
  await c.env.KV.put(c.req.param('key'), await c.req.text());
  return c.body(null, 204);
});

app.get('/kv/:key', async (c) => {
  const value = await c.env.KV.get(c.req.param('key'));
  if (value === null) return c.json({ error: 'missing' }, 404);
  return c.json({ key: c.req.param('key'), value });
});

app.get('/boom', () => {
  throw new Error('kaboom');
});

app.get('/teapot', () => {
  throw new HTTPException(418, { message: 'short and stout' });
});

app.onError((err, c) => {
  if (err instanceof HTTPException) return c.json({ error: err.message }, err.status);
  return c.json({ error: err.message }, 500);
});

export default app;
`;

test('a Hono app runs unchanged under islet dev', async () => {
  const dir = makeProject({ 'wrangler.toml': WRANGLER, 'src/index.ts': ENTRY }, ['hono']);
  const server = await startIslet(['dev', '--port', '0'], dir);
  try {
    // Env var through c.env, and the custom middleware's header on every response.
    const root = await fetch(server.url);
    assert.equal(root.status, 200);
    assert.equal(await root.text(), 'Hello Hono!');
    assert.equal(root.headers.get('x-powered-by'), 'islet-test');
    assert.match(root.headers.get('content-type') ?? '', /^text\/plain/);

    // Path params, a query value and repeated query values.
    const post = await fetch(`${server.url}/posts/42?page=3&tag=a&tag=b`);
    assert.equal(post.status, 200);
    assert.match(post.headers.get('content-type') ?? '', /^application\/json/);
    assert.deepEqual(await post.json(), { id: '42', page: '3', tags: ['a', 'b'] });
    assert.equal(post.headers.get('x-powered-by'), 'islet-test');

    // Unknown route: Hono's default notFound.
    const missing = await fetch(`${server.url}/nope`);
    assert.equal(missing.status, 404);
    assert.equal(await missing.text(), '404 Not Found');
    assert.equal(missing.headers.get('x-powered-by'), 'islet-test');

    // CORS preflight answered by hono/cors.
    const preflight = await fetch(`${server.url}/api/echo`, {
      method: 'OPTIONS',
      headers: { Origin: 'http://example.com', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type' },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), 'http://example.com');
    assert.equal(preflight.headers.get('access-control-allow-methods'), 'POST,GET,OPTIONS');
    assert.equal(preflight.headers.get('access-control-allow-headers'), 'X-Custom-Header,Content-Type');
    assert.equal(preflight.headers.get('access-control-max-age'), '600');
    assert.equal(preflight.headers.get('access-control-allow-credentials'), 'true');
    assert.equal(preflight.headers.get('access-control-expose-headers'), 'Content-Length,X-Kuma-Revision');
    assert.match(preflight.headers.get('vary') ?? '', /Origin/);
    assert.equal(await preflight.text(), '');

    // JSON in and out, with the CORS headers on the actual request.
    const echo = await fetch(`${server.url}/api/echo`, {
      method: 'POST',
      headers: { Origin: 'http://example.com', 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'islet', n: 21 }),
    });
    assert.equal(echo.status, 201);
    assert.deepEqual(await echo.json(), { hello: 'islet', doubled: 42 });
    assert.equal(echo.headers.get('access-control-allow-origin'), 'http://example.com');
    assert.equal(echo.headers.get('access-control-expose-headers'), 'Content-Length,X-Kuma-Revision');
    // An origin the policy does not allow gets no allow-origin header.
    const foreign = await fetch(`${server.url}/api/echo`, {
      method: 'POST', headers: { Origin: 'http://evil.test', 'Content-Type': 'application/json' }, body: '{"name":"x","n":1}',
    });
    assert.equal(foreign.status, 201);
    assert.equal(foreign.headers.get('access-control-allow-origin'), null);

    // KV through c.env.KV, visible to `islet kv` afterwards.
    assert.equal((await fetch(`${server.url}/kv/color`)).status, 404);
    const put = await fetch(`${server.url}/kv/color`, { method: 'PUT', body: 'teal' });
    assert.equal(put.status, 204);
    assert.deepEqual(await (await fetch(`${server.url}/kv/color`)).json(), { key: 'color', value: 'teal' });
    const cli = runIslet(['kv', 'key', 'get', 'color', '--binding', 'KV', '--local'], dir);
    assert.equal(cli.stdout, 'teal', cli.stderr);

    // app.onError turns thrown errors into JSON.
    const boom = await fetch(`${server.url}/boom`);
    assert.equal(boom.status, 500);
    assert.deepEqual(await boom.json(), { error: 'kaboom' });
    const teapot = await fetch(`${server.url}/teapot`);
    assert.equal(teapot.status, 418);
    assert.deepEqual(await teapot.json(), { error: 'short and stout' });
  } catch (err) {
    // What the server said is the first thing to read when a request fails.
    throw new Error(`${(err as Error).message}\nislet dev output:\n${server.output()}`, { cause: err });
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
