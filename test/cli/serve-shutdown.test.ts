// `islet serve` as an operator runs it: a request in flight when SIGTERM arrives is answered, then the
// server and every engine process exit. One server owns its data directory.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { ISLET, makeProject } from '../helpers/cli.js';
import { startServeProcess, tenantGet } from './serve-process.js';

function childrenOf(pid: number): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' }).split('\n').map((s) => Number(s.trim())).filter((n) => n > 0);
  } catch {
    return [];
  }
}

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

test('SIGTERM lets a request in flight finish, then islet serve and its engines exit', { timeout: 60_000 }, async () => {
  const project = makeProject({
    'wrangler.toml': 'name = "slow"\nmain = "index.js"\ncompatibility_date = "2025-01-01"\n',
    'index.js': `export default { async fetch() { await new Promise((r) => setTimeout(r, 800)); return new Response('finished'); } }`,
  });
  const serve = await startServeProcess(project);
  try {
    const deployed = serve.islet(['deploy'], project);
    assert.equal(deployed.code, 0, deployed.stderr);
    const serverPid = serve.pid;
    const engines = childrenOf(serverPid);
    assert.ok(engines.length >= 1, 'engine processes run under the server');

    const inFlight = tenantGet(serve.url, '/slow/');
    await new Promise((r) => setTimeout(r, 200));
    process.kill(serverPid, 'SIGTERM');
    assert.deepEqual(await inFlight, { status: 200, body: 'finished' });
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && (alive(serverPid) || engines.some(alive))) await new Promise((r) => setTimeout(r, 100));
    assert.equal(alive(serverPid), false, 'the server exited');
    assert.deepEqual(engines.filter(alive), [], 'no engine process is left behind');
  } finally {
    await serve.stop();
  }
});

test('a second islet serve on the same data directory refuses to start', { timeout: 60_000 }, async () => {
  const project = makeProject({});
  const serve = await startServeProcess(project);
  try {
    const second = spawnSync(ISLET, ['serve', '--port', '0', '--admin-port', '0', '--data', serve.dataDir, '--engines', '0'], {
      cwd: project, encoding: 'utf8', timeout: 30_000, env: { ...process.env, ISLET_ADMIN_TOKEN: 'another-admin-token-0123456789' },
    });
    assert.equal(second.status, 1);
    assert.match(second.stderr, new RegExp(`Another islet serve \\(pid ${serve.pid}\\) is using`));
  } finally {
    await serve.stop();
  }
});
