// ctx.storage inside a real object: the key-value API, transactions, the SQL API and RPC, with the
// values and errors Cloudflare documents (https://developers.cloudflare.com/durable-objects/api/).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startWorker, type WorkerServer } from '../helpers/worker-server.js';

// The object runs the posted code with its ctx; RPC methods cover what crosses by structured clone.
const WORKER = `
import { DurableObject } from 'cloudflare:workers';
export class Lab extends DurableObject {
  async run(source) {
    return await new Function('ctx', 'return (async () => {' + source + '})()')(this.ctx);
  }
  echo(...values) { return values; }
  async viaOwnStub() { return await this.env.LAB.get(this.ctx.id).echo('self'); }
  fail(kind) { if (kind === 'range') throw new RangeError('out of range'); throw new Error('it broke'); }
  get prop() { return 1; }
}
export class Plain {
  constructor(state, env) { this.state = state; this.env = env; }
  hello(who) { return 'hello ' + who + ' from ' + this.env.GREETING; }
}
export default {
  async fetch(request, env) {
    const { object, call, args } = await request.json();
    const stub = object === 'plain' ? env.PLAIN.getByName('p') : env.LAB.getByName(object ?? 'lab');
    if (call === 'typed') {
      const [m, d, u] = await stub.echo(new Map([[1, 'a']]), new Date(7), new Uint8Array([1, 2]));
      const sent = new Uint8Array([9]);
      await stub.echo(sent);
      let fn = null;
      try { await stub.echo(() => 1); } catch (e) { fn = e.name; }
      return Response.json({ ok: true, result: [m instanceof Map && m.get(1), d instanceof Date && d.getTime(), u instanceof Uint8Array && [...u], sent[0], fn, typeof stub.then] });
    }
    try {
      const result = await stub[call](...args);
      return Response.json({ ok: true, result: result instanceof Map ? { map: [...result] } : result });
    } catch (error) {
      return Response.json({ ok: false, name: error?.constructor?.name, message: error?.message });
    }
  },
};
`;

let server: WorkerServer;
before(async () => {
  server = await startWorker(WORKER, {
    vars: { GREETING: 'hi' },
    durableObjects: [{ binding: 'LAB', className: 'Lab' }, { binding: 'PLAIN', className: 'Plain' }],
    limits: { cpuMs: 5_000 },
  });
});
after(async () => { await server.close(); });

type Outcome = { ok: true; result: unknown } | { ok: false; name: string; message: string };
async function call(callName: string, args: unknown[], object?: string): Promise<Outcome> {
  const response = await server.fetch('/', { method: 'POST', body: JSON.stringify({ object, call: callName, args }) });
  assert.equal(response.status, 200, await response.clone().text());
  return await response.json() as Outcome;
}
async function run(source: string, object = 'lab'): Promise<unknown> {
  const outcome = await call('run', [source], object);
  if (!outcome.ok) assert.fail(`${outcome.name}: ${outcome.message}`);
  return outcome.result;
}

describe('Durable Object storage API', () => {
  test('get of several keys gives a Map of the present ones only', async () => {
    const result = await run(`
      await ctx.storage.put({ a: 1, b: { nested: [1, 2] } });
      const many = await ctx.storage.get(['b', 'missing', 'a']);
      return { isMap: many instanceof Map, keys: [...many.keys()].sort(), b: many.get('b'), one: await ctx.storage.get('a'), none: await ctx.storage.get('missing') === undefined };
    `, 'kv1');
    assert.deepEqual(result, { isMap: true, keys: ['a', 'b'], b: { nested: [1, 2] }, one: 1, none: true });
  });

  test('values are structured clones: Map, Date and bytes come back as themselves', async () => {
    const result = await run(`
      await ctx.storage.put('v', { m: new Map([[1, 'x']]), d: new Date(5), u: new Uint8Array([7, 8]) });
      const v = await ctx.storage.get('v');
      return [v.m instanceof Map && v.m.get(1), v.d instanceof Date && v.d.getTime(), v.u instanceof Uint8Array && [...v.u]];
    `, 'kv2');
    assert.deepEqual(result, ['x', 5, [7, 8]]);
  });

  test('list orders keys by UTF-8 bytes and honours prefix, start, startAfter, end, reverse and limit', async () => {
    const result = await run(`
      await ctx.storage.put({ b: 0, a: 0, Z: 0, 'é': 0, ab: 0, abc: 0, ac: 0 });
      const keys = async (o) => [...(await ctx.storage.list(o)).keys()];
      return [await keys(), await keys({ prefix: 'ab' }), await keys({ start: 'ab', end: 'b' }), await keys({ startAfter: 'ab', end: 'b' }),
        await keys({ reverse: true, limit: 2 }), (await ctx.storage.list()) instanceof Map];
    `, 'kv3');
    assert.deepEqual(result, [['Z', 'a', 'ab', 'abc', 'ac', 'b', 'é'], ['ab', 'abc'], ['ab', 'abc', 'ac'], ['abc', 'ac'], ['é', 'b'], true]);
  });

  test('delete answers whether the key existed, or how many did', async () => {
    const result = await run(`
      await ctx.storage.put({ x: 1, y: 2 });
      return [await ctx.storage.delete('x'), await ctx.storage.delete('x'), await ctx.storage.delete(['y', 'nope'])];
    `, 'kv4');
    assert.deepEqual(result, [true, false, 1]);
  });

  test('a transaction that throws is rolled back; rollback() undoes too; deleteAll empties', async () => {
    const result = await run(`
      await ctx.storage.put('n', 1);
      let caught = null;
      try { await ctx.storage.transaction(async (txn) => { await txn.put('n', 2); await txn.put('m', 3); throw new Error('nope'); }); }
      catch (e) { caught = e.message; }
      const afterThrow = [await ctx.storage.get('n'), await ctx.storage.get('m')];
      await ctx.storage.transaction(async (txn) => { await txn.put('n', 4); txn.rollback(); });
      const afterRollback = await ctx.storage.get('n');
      const value = await ctx.storage.transaction(async (txn) => { await txn.put('n', 5); return 'kept'; });
      const committed = await ctx.storage.get('n');
      await ctx.storage.deleteAll();
      return [caught, afterThrow, afterRollback, value, committed, (await ctx.storage.list()).size];
    `, 'kv5');
    assert.deepEqual(result, ['nope', [1, null], 1, 'kept', 5, 0]);
  });

  test('keys over 2 KiB, values over 128 KiB and batches over 128 keys are refused as documented', async () => {
    const result = await run(`
      const errors = [];
      const attempt = async (f) => { try { await f(); errors.push(null); } catch (e) { errors.push(e.constructor.name + ': ' + e.message); } };
      await attempt(() => ctx.storage.put('k'.repeat(2049), 1));
      await attempt(() => ctx.storage.put('big', 'x'.repeat(131072)));
      await attempt(() => ctx.storage.get(Array.from({ length: 129 }, (_, i) => 'k' + i)));
      await attempt(() => ctx.storage.put('k'.repeat(2048), 1));
      return errors;
    `, 'kv6');
    const [key, value, batch, fits] = result as (string | null)[];
    assert.match(key!, /^RangeError: Keys cannot be larger than 2048 bytes/);
    assert.match(value!, /^RangeError: Values cannot be larger than 131072 bytes/);
    assert.match(batch!, /^RangeError: Maximum number of keys is 128/);
    assert.equal(fits, null);
  });

  test('SQL API: tables, bindings, cursor fields, and the reserved _cf_ tables refused', async () => {
    const result = await run(`
      const sql = ctx.storage.sql;
      sql.exec('CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, name TEXT, data BLOB)');
      const insert = sql.exec('INSERT INTO items (name, data) VALUES (?, ?), (?, ?)', 'a', new Uint8Array([1, 2]), 'b', null);
      const cursor = sql.exec('SELECT id, name, data FROM items ORDER BY id');
      const columns = cursor.columnNames;
      const rows = cursor.toArray();
      let one = null;
      try { sql.exec('SELECT * FROM items').one(); } catch (e) { one = e.message; }
      const raw = sql.exec('SELECT name FROM items ORDER BY id').raw().toArray();
      let reserved = null;
      try { sql.exec('SELECT * FROM _cf_KV'); } catch (e) { reserved = e.message; }
      let begin = null;
      try { sql.exec('BEGIN TRANSACTION'); } catch (e) { begin = e.message; }
      const iterated = [];
      for (const row of sql.exec('SELECT name FROM items ORDER BY id')) iterated.push(row.name);
      return { written: insert.rowsWritten, columns, first: [rows[0].id, rows[0].name, rows[0].data instanceof ArrayBuffer && [...new Uint8Array(rows[0].data)]],
        count: rows.length, read: cursor.rowsRead, one, raw, reserved, begin, iterated, size: sql.databaseSize > 0,
        single: sql.exec('SELECT count(*) AS n FROM items').one().n };
    `, 'sql1');
    assert.deepEqual(result, {
      written: 2, columns: ['id', 'name', 'data'], first: [1, 'a', [1, 2]], count: 2, read: 2,
      one: 'Expected exactly one result from SQL query, but got multiple results.', raw: [['a'], ['b']],
      reserved: 'access to _cf_KV.key is prohibited: SQLITE_AUTH',
      begin: 'To execute a transaction, please use the state.storage.transaction() or state.storage.transactionSync() APIs instead of the SQL BEGIN TRANSACTION or SAVEPOINT statements.: SQLITE_AUTH',
      iterated: ['a', 'b'], size: true, single: 2,
    });
  });

  test('SQL and key-value writes share one database but not one namespace', async () => {
    const result = await run(`
      await ctx.storage.put('k', 'v');
      ctx.storage.sql.exec('CREATE TABLE t (x)');
      const tables = ctx.storage.sql.exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '_cf_%'").toArray().map((r) => r.name);
      return [tables, await ctx.storage.get('k')];
    `, 'sql2');
    assert.deepEqual(result, [['t'], 'v']);
  });
});

describe('Durable Object RPC', () => {
  test('methods take and return structured clones: Map, Date, Uint8Array; functions cannot cross', async () => {
    assert.deepEqual(await call('typed', []), { ok: true, result: ['a', 7, [1, 2], 9, 'DataCloneError', 'undefined'] });
  });

  test('a thrown error reaches the caller with its class and message; a missing method is a TypeError', async () => {
    assert.deepEqual(await call('fail', ['range']), { ok: false, name: 'RangeError', message: 'out of range' });
    assert.deepEqual(await call('fail', ['other']), { ok: false, name: 'Error', message: 'it broke' });
    assert.deepEqual(await call('nothing', []), { ok: false, name: 'TypeError', message: 'The RPC receiver does not implement the method "nothing".' });
  });

  test('an object calling itself through its own stub does not deadlock', async () => {
    assert.deepEqual(await call('viaOwnStub', [], 'self'), { ok: true, result: ['self'] });
  });

  test('a plain class with constructor(state, env) works too', async () => {
    assert.deepEqual(await call('hello', ['ada'], 'plain'), { ok: true, result: 'hello ada from hi' });
  });
});
