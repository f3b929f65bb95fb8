// The dashboard under islet dev: served at /__islet/dashboard on the dev server's own port, behind the
// token it writes to the data directory; the worker keeps every other path.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { eventually, makeProject, startIslet } from '../helpers/cli.js';
import { chromiumMissing, launch, openPage, waitForText } from './browser.js';

const WORKER = `export default { fetch(request) {
  const url = new URL(request.url);
  if (url.pathname === '/boom') { console.error('dev is about to throw'); throw new Error('dev boom'); }
  return new Response('dev says ' + url.pathname);
} };`;

test('islet dev serves the dashboard on loopback behind its token', { skip: chromiumMissing() }, async () => {
  const dir = makeProject({ 'wrangler.toml': 'name = "devapp"\nmain = "src/index.js"\n', 'src/index.js': WORKER });
  const dev = await startIslet(['dev', '--port', '0'], dir);
  const browser = await launch();
  try {
    assert.match(dev.output(), /Dashboard on http:\/\/127\.0\.0\.1:\d+\/__islet\/dashboard \(token in \.islet\/admin-token\)/);
    const token = readFileSync(join(dir, '.islet', 'admin-token'), 'utf8').trim();
    assert.ok(token.length >= 16);
    assert.equal(await (await fetch(`${dev.url}/hello`)).text(), 'dev says /hello');
    assert.equal((await fetch(`${dev.url}/boom`)).status, 500);
    for (let i = 0; i < 10; i++) await (await fetch(`${dev.url}/n${i}`)).text();
    // The API wants the token; the page does not (it holds no data).
    assert.equal((await fetch(`${dev.url}/__islet/api/v1/stats/series`)).status, 401);
    const authorized = { headers: { authorization: `Bearer ${token}` } };
    assert.equal((await fetch(`${dev.url}/__islet/api/v1/workers`, authorized)).status, 200);
    const page = await fetch(`${dev.url}/__islet/dashboard`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'none'/);

    const problems: string[] = [];
    const tab = await openPage(browser, problems);
    await tab.goto(`${dev.url}/__islet/dashboard`);
    await tab.fill('#token', token);
    await tab.click('#login-form button[type=submit]');
    await tab.waitForSelector('#workers tr[data-worker="devapp"]');
    await waitForText(tab, '#errors', /dev boom/, 10_000);
    assert.match(await tab.textContent('#errors') ?? '', /dev is about to throw/);
    assert.match(await tab.textContent('#errors') ?? '', /GET \/boom 500 exception/);
    // islet dev runs its isolate in its own process, shown as the one engine.
    await tab.waitForSelector('#engines tbody tr');
    assert.match(await tab.textContent('#engines tbody tr') ?? '', new RegExp(`^0${dev.child.pid}`));
    // Every request counted once, once the interval holding the last one has closed.
    const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
    let series: { workers: Record<string, { requests: number[]; errors: number[] }> } = { workers: {} };
    await eventually(async () => {
      series = await (await fetch(`${dev.url}/__islet/api/v1/stats/series`, authorized)).json() as typeof series;
      return sum(series.workers.devapp?.requests ?? []) >= 12;
    }, 5_000);
    assert.equal(sum(series.workers.devapp!.requests), 12);
    assert.equal(sum(series.workers.devapp!.errors), 1);
    // The live tail works here too.
    await tab.click('#tail-toggle');
    await waitForText(tab, '#tail-status', /tailing devapp/);
    await new Promise((r) => setTimeout(r, 300));
    await (await fetch(`${dev.url}/tailed`)).text();
    await waitForText(tab, '#tail', /GET \/tailed 200/, 10_000);
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
    await dev.stop();
  }
});
