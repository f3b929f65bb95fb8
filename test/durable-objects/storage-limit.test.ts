// The per-object storage bound, in a real object. Cloudflare documents a storage limit per SQLite-backed
// object, and that a write past it fails with "database or disk is full: SQLITE_FULL" while reads and
// deletes keep working (https://developers.cloudflare.com/durable-objects/platform/limits/). These
// objects get 1 MiB so the bound is reached in a few hundred writes.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { startWorker, type WorkerServer } from '../helpers/worker-server.js';
import { startTestServe } from '../helpers/serve.js';

const FULL = 'database or disk is full: SQLITE_FULL';

const WORKER = `
import { DurableObject } from 'cloudflare:workers';
const failure = (e) => ({ failed: true, isError: e instanceof Error, name: e.name, message: e.message });
export class Box extends DurableObject {
  async fillKv(size, prefix = 'k') {
    let written = 0;
    try {
      for (;;) { await this.ctx.storage.put(prefix + String(written).padStart(5, '0'), 'x'.repeat(size)); written++; }
    } catch (e) { return { written, ...failure(e) }; }
  }
  async keys() { return (await this.ctx.storage.list()).size; }
  async dropKeys(n) { const keys = [...(await this.ctx.storage.list({ limit: n })).keys()]; for (let i = 0; i < keys.length; i += 128) await this.ctx.storage.delete(keys.slice(i, i + 128)); return keys.length; }
  sqlRows(rows) {
    const sql = this.ctx.storage.sql;
    sql.exec('CREATE TABLE IF NOT EXISTS t (v BLOB)');
    try {
      sql.exec('WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < ?) INSERT INTO t SELECT randomblob(1000) FROM c', rows);
      return { failed: false };
    } catch (e) { return failure(e); }
  }
  tableRows() { return this.ctx.storage.sql.exec('SELECT count(*) AS n FROM t').one().n; }
  check() { return this.ctx.storage.sql.exec('PRAGMA integrity_check').one().integrity_check; }
  async putThenHugeRow() {
    await this.ctx.storage.put('unconfirmed', 1);
    const sql = this.ctx.storage.sql;
    sql.exec('CREATE TABLE IF NOT EXISTS wide (v BLOB)');
    for (let i = 0; i < 30; i++) sql.exec('CREATE INDEX IF NOT EXISTS wide_' + i + ' ON wide (v, ' + i + ')');
    let caught = null;
    try { sql.exec('INSERT INTO wide VALUES (randomblob(1000000))'); } catch (e) { caught = e.message; }
    return { caught };
  }
  async ownRollback() {
    await this.ctx.storage.put('unconfirmed', 1);
    const sql = this.ctx.storage.sql;
    sql.exec('CREATE TABLE IF NOT EXISTS u (x UNIQUE)');
    sql.exec('INSERT OR IGNORE INTO u VALUES (1)');
    let caught = null;
    try { sql.exec('INSERT OR ROLLBACK INTO u VALUES (1)'); } catch (e) { caught = e.message; }
    console.log('ownRollback caught: ' + caught);
    return { caught };
  }
  async get(key) { return (await this.ctx.storage.get(key)) ?? null; }
  async put(key, value) { await this.ctx.storage.put(key, value); return true; }
}
export default {
  async fetch(request, env) {
    const { name, call, args } = await request.json();
    try {
      return Response.json({ ok: true, result: await env.BOX.getByName(name)[call](...(args ?? [])) });
    } catch (e) {
      return Response.json({ ok: false, message: e.message });
    }
  },
};
`;

const dirs: string[] = [];
after(() => { for (const dir of dirs) rmSync(dir, { recursive: true, force: true }); });

async function boxServer(dataDir: string): Promise<WorkerServer> {
  return startWorker(WORKER, { durableObjects: [{ binding: 'BOX', className: 'Box' }], limits: { cpuMs: 10_000 } },
    { dataDir, durableObjects: { maxStorageMb: 1 } });
}

async function call(server: WorkerServer, name: string, callName: string, ...args: unknown[]): Promise<{ ok: boolean; result?: any; message?: string }> {
  const response = await server.fetch('/', { method: 'POST', body: JSON.stringify({ name, call: callName, args }) });
  assert.equal(response.status, 200);
  return await response.json() as { ok: boolean; result?: any; message?: string };
}

describe('Durable Object storage limit', () => {
  test('a write past the limit throws a catchable SQLITE_FULL; earlier writes stay, deletes make room, the object goes on', { timeout: 60_000 }, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'islet-do-limit-'));
    dirs.push(dataDir);
    let server = await boxServer(dataDir);
    let written: number;
    try {
      const filled = await call(server, 'a', 'fillKv', 8_000);
      assert.equal(filled.ok, true);
      written = filled.result.written as number;
      assert.deepEqual({ ...filled.result, written: undefined }, { written: undefined, failed: true, isError: true, name: 'Error', message: FULL });
      // About 1 MiB of 8 KB values, less the database's own pages.
      assert.ok(written > 80 && written < 130, `wrote ${written} values before the limit`);
      assert.equal((await call(server, 'a', 'keys')).result, written, 'every write before the failing one is kept');
      assert.deepEqual((await call(server, 'a', 'fillKv', 8_000, 'm')).result.written, 0, 'still full on the next request');
      assert.equal((await call(server, 'a', 'dropKeys', 40)).result, 40);
      const again = await call(server, 'a', 'fillKv', 8_000, 'n');
      assert.ok(again.result.written >= 35, `deleting 40 values made room for ${again.result.written}`);
      written = written - 40 + (again.result.written as number);
      assert.equal((await call(server, 'b', 'put', 'other', 'object')).ok, true, 'the limit is per object');
    } finally {
      await server.close();
    }
    server = await boxServer(dataDir);
    try {
      assert.equal((await call(server, 'a', 'keys')).result, written, 'all of it after a restart');
      assert.equal((await call(server, 'a', 'check')).result, 'ok');
    } finally {
      await server.close();
    }
  });

  test('a statement whose own conflict clause rolls everything back reports its own error, not a full disk', { timeout: 60_000 }, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'islet-do-limit-'));
    dirs.push(dataDir);
    const server = await boxServer(dataDir);
    try {
      // The rollback dropped the object's unconfirmed writes, so the object is reset and its caller told so.
      const result = await call(server, 'r', 'ownRollback');
      assert.equal(result.ok, false);
      assert.match(String(result.message), /reset/);
      const caught = server.logs.lines.find((line) => line.message.startsWith('ownRollback caught: '))?.message;
      assert.match(String(caught), /UNIQUE constraint failed: u\.x/);
      assert.doesNotMatch(String(caught), /SQLITE_FULL/);
      assert.equal((await call(server, 'r', 'get', 'unconfirmed')).result, null);
    } finally {
      await server.close();
    }
  });

  test('a SQL statement that would cross the limit is undone whole, and smaller ones still fit', { timeout: 60_000 }, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'islet-do-limit-'));
    dirs.push(dataDir);
    const server = await boxServer(dataDir);
    try {
      assert.deepEqual((await call(server, 's', 'sqlRows', 300)).result, { failed: false });
      assert.deepEqual((await call(server, 's', 'sqlRows', 5_000)).result, { failed: true, isError: true, name: 'Error', message: FULL });
      assert.equal((await call(server, 's', 'tableRows')).result, 300, 'none of the 5,000 rows of the failed statement');
      assert.deepEqual((await call(server, 's', 'sqlRows', 300)).result, { failed: false });
      assert.equal((await call(server, 's', 'tableRows')).result, 600);
      assert.equal((await call(server, 's', 'check')).result, 'ok');
    } finally {
      await server.close();
    }
  });

  test('one statement far past the limit: the writes it took with it are never confirmed, committed data stays', { timeout: 60_000 }, async () => {
    // Thirty indexes on a 1 MB value make one row write some 30 MB at once, beyond even SQLite's own
    // bound, where SQLite drops every write not yet committed rather than the statement alone.
    const dataDir = mkdtempSync(join(tmpdir(), 'islet-do-limit-'));
    dirs.push(dataDir);
    const server = await boxServer(dataDir);
    try {
      assert.equal((await call(server, 'h', 'put', 'committed', 'yes')).ok, true);
      const huge = await call(server, 'h', 'putThenHugeRow');
      // The output gate: the call cannot report success for a write that is gone.
      assert.equal(huge.ok, false, JSON.stringify(huge));
      assert.equal((await call(server, 'h', 'get', 'unconfirmed')).result, null);
      assert.equal((await call(server, 'h', 'get', 'committed')).result, 'yes');
      assert.equal((await call(server, 'h', 'put', 'later', 1)).ok, true, 'the object is rebuilt and works');
      assert.equal((await call(server, 'h', 'check')).result, 'ok');
    } finally {
      await server.close();
    }
  });

  test('islet serve applies [durable_objects] max_storage_mb in its engines', { timeout: 60_000 }, async () => {
    const serve = await startTestServe({ engines: 1, durableObjects: { maxStorageMb: 1 } });
    try {
      const config = { durableObjects: [{ binding: 'BOX', className: 'Box' }], limits: { cpuMs: 10_000 } };
      assert.equal((await serve.deploy('boxes', WORKER, { config })).status, 201);
      const answer = await fetch(`${serve.url}/boxes/`, { method: 'POST', body: JSON.stringify({ name: 'a', call: 'fillKv', args: [8_000] }) });
      const filled = await answer.json() as { ok: boolean; result: { written: number; message: string } };
      assert.equal(filled.result.message, FULL);
      assert.ok(filled.result.written > 80 && filled.result.written < 130, `wrote ${filled.result.written}`);
    } finally {
      await serve.close();
    }
  });
});
