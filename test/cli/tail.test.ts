// `islet tail` through the real launcher against a real `islet serve` process: the events of the
// tailed worker arrive as they happen, in JSON or wrangler's pretty form, and Ctrl-C ends it with 0.
// The server's own stdout carries the JSON request log meanwhile.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { eventually, ISLET, makeProject } from '../helpers/cli.js';
import { startServeProcess, tenantGet, TOKEN, type ServeProcess } from './serve-process.js';

const WORKER = `export default { fetch(request) {
  const url = new URL(request.url);
  console.log('hello from', url.pathname);
  if (url.pathname.endsWith('/throw')) throw new Error('tail me');
  return new Response('ok');
} }`;

let serve: ServeProcess;
let dir: string;

before(async () => {
  dir = makeProject({ 'a.js': WORKER, 'b.js': WORKER });
  serve = await startServeProcess(dir);
  for (const name of ['alpha', 'beta']) {
    const deployed = serve.islet(['deploy', `${name === 'alpha' ? 'a' : 'b'}.js`, '--name', name], dir);
    assert.equal(deployed.code, 0, deployed.stderr);
  }
});
after(async () => {
  await serve?.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

interface TailProcess { child: ChildProcess; stdout: () => string; stderr: () => string; exit: Promise<number | null> }

async function startTail(args: string[]): Promise<TailProcess> {
  const child = spawn(ISLET, ['tail', ...args, '--server', serve.adminUrl, '--token', TOKEN], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => { out += c.toString(); });
  child.stderr!.on('data', (c: Buffer) => { err += c.toString(); });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const tail = { child, stdout: () => out, stderr: () => err, exit };
  await eventually(async () => /Tailing/.test(err) || child.exitCode !== null);
  assert.match(err, /^Tailing alpha on http:\/\/127\.0\.0\.1:\d+; Ctrl-C to stop\.$/m);
  return tail;
}

test('islet tail --format json: one event per line for the tailed worker only; Ctrl-C exits 0', async () => {
  const tail = await startTail(['alpha', '--format', 'json']);
  try {
    await tenantGet(serve.url, '/beta/x');
    await tenantGet(serve.url, '/alpha/one', undefined, { 'x-trace-id': 'cli-tail-1' });
    await eventually(async () => tail.stdout().includes('cli-tail-1'));
    const events = tail.stdout().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(events.length, 1);
    assert.equal(events[0]!.type, 'request');
    assert.equal(events[0]!.worker, 'alpha');
    assert.equal(events[0]!.path, '/alpha/one');
    assert.equal(events[0]!.status, 200);
    assert.deepEqual((events[0]!.logs as { message: string }[]).map((l) => l.message), ['hello from /alpha/one']);
  } finally {
    tail.child.kill('SIGINT');
  }
  assert.equal(await tail.exit, 0, tail.stderr());
  // The server logged the same request as a JSON line on its stdout.
  const logged = serve.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
  const line = logged.find((l) => l.type === 'request' && l.traceId === 'cli-tail-1');
  assert.ok(line !== undefined, serve.output());
  assert.equal(line.worker, 'alpha');
  assert.equal(line.status, 200);
  assert.ok(logged.some((l) => l.type === 'console' && l.traceId === 'cli-tail-1' && l.msg === 'hello from /alpha/one'));
});

test('islet tail --format pretty prints as wrangler tail does; --status error keeps failures only', async () => {
  const tail = await startTail(['alpha', '--format', 'pretty', '--status', 'error']);
  try {
    await tenantGet(serve.url, '/alpha/fine');
    await tenantGet(serve.url, '/alpha/throw');
    await eventually(async () => tail.stdout().includes('tail me'));
    const lines = tail.stdout().split('\n');
    assert.match(lines[0]!, /^GET http:\/\/127\.0\.0\.1:\d+\/alpha\/throw - Exception Thrown @ \d{1,2}\/\d{1,2}\/\d{4}, \d{1,2}:\d{2}:\d{2} [AP]M$/);
    assert.equal(lines[1], '  (log) hello from /alpha/throw');
    assert.match(lines[2]!, /^ {2}✘ Uncaught Error: tail me$/);
    assert.ok(!tail.stdout().includes('/alpha/fine'));
  } finally {
    tail.child.kill('SIGINT');
  }
  assert.equal(await tail.exit, 0, tail.stderr());
});

test('islet tail refuses bad options and names an unknown worker', async () => {
  const bad = spawn(ISLET, ['tail', 'alpha', '--sampling', '3', '--server', serve.adminUrl, '--token', TOKEN], { cwd: dir });
  let err = '';
  bad.stderr.on('data', (c: Buffer) => { err += c.toString(); });
  assert.equal(await new Promise((resolve) => bad.once('exit', resolve)), 1);
  assert.match(err, /--sampling expects a number from 0 to 1/);
  const unknown = spawn(ISLET, ['tail', 'nobody', '--server', serve.adminUrl, '--token', TOKEN], { cwd: dir });
  err = '';
  unknown.stderr.on('data', (c: Buffer) => { err += c.toString(); });
  assert.equal(await new Promise((resolve) => unknown.once('exit', resolve)), 1);
  assert.match(err, /worker "nobody" not found/);
});
