// The dashboard on islet serve, in a real browser: two workers deployed, real traffic (one worker
// fails on some requests), then the page signs in with the token and must show both workers, rates
// from that traffic, the failure with its log lines, and drawn charts.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { ROOT } from '../helpers/cli.js';
import { TOKEN, startTestServe, type TestServe } from '../helpers/serve.js';
import { chromiumMissing, launch, openPage, waitForText } from './browser.js';

const HELLO = `export default { fetch(request) { console.log('hello served', new URL(request.url).pathname); return new Response('hi'); } };`;
const FLAKY = `export default { fetch(request) {
  const url = new URL(request.url);
  if (url.searchParams.has('fail')) { console.warn('about to fail for', url.searchParams.get('fail')); throw new Error('flaky failure ' + url.searchParams.get('fail')); }
  return new Response('ok');
} };`;

const skip = chromiumMissing();
let serve: TestServe;
let browser: Browser;
let traffic: NodeJS.Timeout;

before(async () => {
  if (skip !== false) return;
  serve = await startTestServe();
  assert.equal((await serve.deploy('hello', HELLO)).status, 201);
  assert.equal((await serve.deploy('flaky', FLAKY)).status, 201);
  // Steady traffic for the whole test, so every poll of the page finds recent requests.
  let n = 0;
  traffic = setInterval(() => {
    n++;
    void fetch(`${serve.url}/hello/x`).then((r) => r.text()).catch(() => {});
    void fetch(`${serve.url}/flaky/y${n % 4 === 0 ? `?fail=${n}` : ''}`).then((r) => r.text()).catch(() => {});
  }, 40);
  browser = await launch();
});

after(async () => {
  clearInterval(traffic);
  await browser?.close();
  await serve?.close();
});

test('the admin API refuses the dashboard endpoints without the token', { skip }, async () => {
  for (const path of ['/stats/series', '/errors', '/workers']) {
    const answer = await serve.admin('GET', path, undefined, null);
    assert.equal(answer.status, 401, path);
    assert.equal(answer.json.error.code, 'unauthorized');
    assert.equal((await serve.admin('GET', path, undefined, 'wrong-token-0123456789')).status, 401, path);
  }
  const page = await fetch(`${serve.adminUrl}/dashboard`);
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
  assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self'/);
  const html = await page.text();
  assert.ok(!html.includes(TOKEN), 'the page itself carries no secret');
  const script = await fetch(`${serve.adminUrl}/dashboard/app.js`);
  assert.match(script.headers.get('content-type') ?? '', /^text\/javascript/);
  assert.equal((await fetch(`${serve.adminUrl}/dashboard/app.css`)).headers.get('content-type'), 'text/css; charset=utf-8');
});

test('the series endpoint counts the traffic per worker', { skip }, async () => {
  await new Promise((r) => setTimeout(r, 2_500));
  const { status, json } = await serve.admin('GET', '/stats/series');
  assert.equal(status, 200);
  assert.equal(json.intervalMs, 1000);
  assert.ok(json.t.length >= 2);
  assert.ok(json.workers.hello.requests.some((v: number) => v > 0));
  assert.ok(json.workers.flaky.errors.some((v: number) => v > 0), 'the thrown errors are counted');
  assert.ok(json.workers.hello.errors.every((v: number) => v === 0), 'hello never fails');
  assert.ok(json.workers.hello.p99Ms.some((v: number | null) => v !== null && v > 0));
  assert.ok(json.workers.hello.cpuMs.some((v: number) => v > 0));
  assert.ok(json.workers.hello.cost.some((v: number) => v > 0));
  assert.ok(json.workers.hello.coldStarts.reduce((a: number, b: number) => a + b, 0) <= 1, 'one isolate serves hello');
  // The newest point may still wait for the engines' answer; an earlier one has the heap.
  assert.ok(json.workers.hello.heapBytes.some((v: number | null) => v !== null && v > 0));
  const newer = await serve.admin('GET', `/stats/series?since=${json.t.at(-1)}`);
  assert.ok(newer.json.t.every((t: number) => t > json.t.at(-1)), 'since returns only later points');
  const errors = await serve.admin('GET', '/errors?worker=flaky&limit=5');
  assert.ok(errors.json.errors.length > 0 && errors.json.errors.length <= 5);
  const first = errors.json.errors[0];
  assert.equal(first.status, 500);
  assert.equal(first.failure, 'exception');
  assert.equal(first.path, '/flaky/y', 'the query string is left out');
  assert.ok(first.logs.some((l: { level: string; message: string }) => l.level === 'warn' && /about to fail for \d+/.test(l.message)));
  assert.ok(first.logs.some((l: { level: string; message: string }) => l.level === 'platform' && /flaky failure \d+/.test(l.message)));
});

test('the page refuses a wrong token, then signs in and shows the traffic', { skip }, async () => {
  const problems: string[] = [];
  const page = await openPage(browser, problems);
  await page.goto(`${serve.adminUrl}/dashboard`);
  await page.fill('#token', 'wrong-token-0123456789');
  await page.click('#login-form button[type=submit]');
  await waitForText(page, '#login-error', /refused/);
  assert.equal(await page.isVisible('#dashboard-view'), false);
  // The refused sign-in was logged by the browser as a 401; from here on nothing may fail.
  problems.length = 0;

  await page.fill('#token', TOKEN);
  await page.click('#login-form button[type=submit]');
  await page.waitForSelector('#dashboard-view', { state: 'visible' });
  assert.ok(!page.url().includes(TOKEN), 'the token stays out of the URL');
  await page.waitForSelector('#workers tr[data-worker="hello"]');
  await page.waitForSelector('#workers tr[data-worker="flaky"]');
  assert.match(await page.textContent('#workers tr[data-worker="hello"]') ?? '', /v1 100%/);
  // The error panel shows the thrown error and the line logged before it.
  await waitForText(page, '#errors', /flaky failure \d+/);
  assert.match(await page.textContent('#errors') ?? '', /about to fail for \d+/);
  // Rates in the table come from the series: hello gets ~25 requests a second here.
  await waitForText(page, '#workers tr[data-worker="hello"] td:nth-child(4)', /[1-9]/, 10_000);
  // Every chart is a uPlot canvas with a size, and the request chart's legend names both workers.
  const canvases = await page.$$eval('#charts canvas', (els) => els.map((c) => ({ w: (c as unknown as { width: number }).width, h: (c as unknown as { height: number }).height })));
  assert.equal(canvases.length, 7);
  assert.ok(canvases.every((c) => c.w > 0 && c.h > 0));
  const legend = await page.textContent('#chart-requests .u-legend') ?? '';
  assert.match(legend, /hello/);
  assert.match(legend, /flaky/);
  // Hovering the newest points shows a non-zero rate for hello in the legend.
  const over = (await page.$('#chart-requests .u-over'))!;
  const box = (await over.boundingBox())!;
  await page.mouse.move(box.x + box.width - 3, box.y + box.height / 2);
  const rate = await page.$$eval('#chart-requests .u-legend tr.u-series', (rows) => rows.map((r) => r.textContent ?? ''));
  assert.ok(rate.some((row) => /hello\s*[0-9.]*[1-9]/.test(row)), `legend rows: ${rate.join(' | ')}`);
  // The live tail streams hello's requests with their console lines.
  await page.selectOption('#tail-worker', 'hello');
  await page.click('#tail-toggle');
  await waitForText(page, '#tail', /GET \/hello\/x 200/, 10_000);
  assert.match(await page.textContent('#tail') ?? '', /log: hello served \/hello\/x/);
  // The engines table comes from GET /engines.
  assert.equal(await page.locator('#engines tbody tr').count(), 1);
  mkdirSync(join(ROOT, 'test-artifacts'), { recursive: true });
  const shot = join(ROOT, 'test-artifacts', 'dashboard.png');
  await page.screenshot({ path: shot, fullPage: true });
  console.log(`dashboard screenshot: ${shot}`);
  assert.deepEqual(problems, []);
  await page.close();
});

test('a signed-in tab stays signed in on reload and signs out', { skip }, async () => {
  const page = await openPage(browser, []);
  await page.goto(`${serve.adminUrl}/dashboard`);
  await page.fill('#token', TOKEN);
  await page.click('#login-form button[type=submit]');
  await page.waitForSelector('#dashboard-view', { state: 'visible' });
  await page.reload();
  await page.waitForSelector('#dashboard-view', { state: 'visible' });
  await page.click('#logout');
  await page.waitForSelector('#login-view', { state: 'visible' });
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);
  await page.close();
});
