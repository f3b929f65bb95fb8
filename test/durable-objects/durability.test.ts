// The output gate against the disk: an object's response leaves only once the writes made before it are
// durable, commits of events that run meanwhile are grouped into the next one, and every increment a
// client was answered survives `kill -9` of the serving process.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { fileURLToPath } from 'node:url';
import { deserialize } from 'node:v8';
import { describe, test } from 'node:test';
import type { ObjectAddress } from '../../src/host/storage/durable-objects/object-storage.js';
import { SqliteObjectStorage } from '../../src/host/storage/durable-objects/sqlite-object-storage.js';
import { startWorker } from '../helpers/worker-server.js';

const COUNTER = `
export class Counter {
  constructor(state) { this.state = state; }
  async fetch(request) {
    const current = (await this.state.storage.get('n')) ?? 0;
    if (new URL(request.url).pathname === '/read') return new Response(String(current));
    this.state.storage.put('n', current + 1);
    return new Response(String(current + 1));
  }
}
export default {
  fetch(request, env) { return env.COUNTER.getByName('hot').fetch(request); },
};`;

/** What another connection to the object's database sees: only committed writes. */
function committedCount(path: string): number | undefined {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    const row = db.prepare('SELECT value FROM _cf_KV WHERE key = ?').get(Buffer.from('n')) as { value: Uint8Array } | undefined;
    return row === undefined ? undefined : deserialize(row.value) as number;
  } finally {
    db.close();
  }
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Whether `promise` is still pending after the event loop has had time to deliver it. */
async function pending(promise: Promise<unknown>): Promise<boolean> {
  const later = Symbol('pending');
  const winner = await Promise.race([promise, new Promise((resolve) => setTimeout(() => resolve(later), 100))]);
  return winner === later;
}

describe('Durable Object durability', () => {
  test('a response waits for its write to reach the disk; writes made meanwhile go in the next commit', async () => {
    const server = await startWorker(COUNTER, { durableObjects: [{ binding: 'COUNTER', className: 'Counter' }], limits: { cpuMs: 2_000 } });
    try {
      // Every sync of the object's storage waits until the test lets it run.
      const held: (() => void)[] = [];
      let path = '';
      const provider = server.islet.objects.storage;
      const open = provider.open.bind(provider);
      provider.open = (address: ObjectAddress): SqliteObjectStorage => {
        const storage = open(address);
        path = storage.path;
        const sync = storage.sync.bind(storage);
        storage.sync = () => new Promise<void>((resolve, reject) => { held.push(() => { sync().then(resolve, reject); }); });
        return storage;
      };

      const first = server.fetch('/').then((r) => r.text());
      await until(() => held.length === 1, 'the first sync');
      // Committed (another connection sees it) but not known to be on disk: the response is held.
      assert.equal(committedCount(path), 1);
      assert.equal(await pending(first), true);

      // The object keeps running events meanwhile (only its outputs wait); their writes wait for the next commit.
      const second = server.fetch('/').then((r) => r.text());
      const read = server.fetch('/read').then((r) => r.text());
      assert.equal(await pending(second), true);
      assert.equal(held.length, 1);
      assert.equal(committedCount(path), 1);

      held[0]!();
      assert.equal(await first, '1');
      await until(() => held.length === 2, 'the second sync');
      assert.equal(committedCount(path), 2);
      // A read-only response depends on the writes made before it: it waits for them too.
      assert.equal(await pending(second), true);
      assert.equal(await pending(read), true);

      held[1]!();
      assert.equal(await second, '2');
      assert.equal(await read, '2');
      assert.equal(held.length, 2);
    } finally {
      await server.close();
    }
  });

  test('every increment a client was answered survives kill -9 of the serving process', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'islet-do-crash-'));
    try {
      const fixture = fileURLToPath(new URL('../fixtures/do-crash-server.ts', import.meta.url));
      const child = spawn(process.execPath, ['--no-node-snapshot', '--import', 'tsx', fixture, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
      const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
      const port = await new Promise<number>((resolve, reject) => {
        let out = '';
        child.stdout.setEncoding('utf8');
        child.stdout.on('data', (chunk: string) => {
          out += chunk;
          if (out.includes('\n')) resolve(Number(out.trim()));
        });
        child.once('exit', () => reject(new Error('the server exited before it listened')));
      });

      const acknowledged: number[] = [];
      const killAfter = 400;
      let killed = false;
      // Many clients at once, so that the kill lands with commits and syncs in flight.
      const client = async (): Promise<void> => {
        while (!killed) {
          let text: string;
          try {
            const response = await fetch(`http://127.0.0.1:${port}/`);
            if (response.status !== 200) continue;
            text = await response.text();
          } catch {
            return;
          }
          acknowledged.push(Number(text));
          if (acknowledged.length >= killAfter && !killed) {
            killed = true;
            child.kill('SIGKILL');
          }
        }
      };
      await Promise.all(Array.from({ length: 16 }, client));
      assert.equal(await exited, 'SIGKILL');
      assert.ok(acknowledged.length >= killAfter);

      const objects = join(dir, 'durable-objects', 'crash', 'crash', 'Counter');
      const files = readdirSync(objects).filter((name) => name.endsWith('.sqlite'));
      assert.equal(files.length, 1);
      const storage = new SqliteObjectStorage(join(objects, files[0]!));
      try {
        const count = deserialize(storage.get(['n']).get('n')!) as number;
        assert.ok(count >= Math.max(...acknowledged), `the counter is at ${count}, but ${Math.max(...acknowledged)} was answered`);
        const increments = storage.get(acknowledged.map((n) => `inc:${n}`));
        const missing = acknowledged.filter((n) => !increments.has(`inc:${n}`));
        assert.deepEqual(missing, [], 'answered increments missing after the crash');
      } finally {
        storage.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
