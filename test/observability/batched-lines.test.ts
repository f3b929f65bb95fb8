// The JSON log's writer against a real pipe whose reader stalls: the server's thread goes on, memory
// stays bounded (lines are dropped), and once the reader reads again a line says how many were lost.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { BatchedLines } from '../../src/host/observability/logs/batched-lines.js';
import { eventually } from '../helpers/cli.js';

test('a stalled reader: lines beyond the bound are dropped and counted, the rest arrive in order', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'islet-log-pipe-'));
  const fifo = join(dir, 'log');
  execFileSync('mkfifo', [fifo]);
  // Read-write, so opening does not wait for a reader (Linux); writes block once the pipe is full.
  const fd = openSync(fifo, 'r+');
  const lines = new BatchedLines(fd, 100_000);
  const sent = 2_000;
  const pad = 'x'.repeat(980);
  try {
    for (let i = 0; i < sent; i++) {
      lines.write(`{"n":${i},"pad":"${pad}"}\n`);
      // Turns pass as on a server; with nobody reading, a write on libuv's pool is stuck in the pipe.
      if (i % 100 === 99) await new Promise((resolve) => setImmediate(resolve));
    }
    const reader = spawn('cat', [fifo], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    reader.stdout.on('data', (chunk: Buffer) => { out += chunk.toString(); });
    try {
      await lines.drain();
      const parse = () => out.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { n?: number; type?: string; count?: number });
      // Everything written has reached the pipe; wait for cat to pass it on.
      await eventually(async () => out.endsWith('\n') && parse().reduce((sum, e) => sum + (e.count ?? 1), 0) === sent);
      const events = parse();
      const numbers = events.filter((e) => e.n !== undefined).map((e) => e.n!);
      // Lines dropped after a notice went out are counted by a later one: all notices add up.
      const dropped = events.filter((e) => e.type === 'log-dropped').reduce((sum, e) => sum + e.count!, 0);
      assert.ok(dropped > 0);
      assert.equal(numbers.length + dropped, sent, 'every line arrived or was counted');
      assert.deepEqual(numbers, [...numbers].sort((a, b) => a - b), 'in order');
      assert.ok(numbers.length * 1000 < 400_000, `${numbers.length} lines held: the bound was kept`);
    } finally {
      reader.kill('SIGKILL');
    }
  } finally {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
});
