// env.X.writeDataPoint in a real isolate: Workers' limits and workerd's error messages, points landing
// in the store with the columns Cloudflare's SQL API shows, and the write never blocking a response.
// Limits: https://developers.cloudflare.com/analytics/analytics-engine/limits/
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startWorkers, type WorkerServer } from '../helpers/worker-server.js';

const WORKER = `
const CASES = {
  full: (env) => env.AE.writeDataPoint({ indexes: ['user-1'], blobs: ['GET', '/a', null, new TextEncoder().encode('bytes').buffer], doubles: [1.5, 200] }),
  empty: (env) => env.AE.writeDataPoint(),
  emptyObject: (env) => env.AE.writeDataPoint({}),
  blobs20: (env) => env.AE.writeDataPoint({ blobs: Array.from({ length: 20 }, (_, i) => 'b' + (i + 1)) }),
  blobs21: (env) => env.AE.writeDataPoint({ blobs: Array.from({ length: 21 }, () => 'x') }),
  doubles20: (env) => env.AE.writeDataPoint({ doubles: Array.from({ length: 20 }, (_, i) => i + 1) }),
  doubles21: (env) => env.AE.writeDataPoint({ doubles: Array.from({ length: 21 }, () => 1) }),
  twoIndexes: (env) => env.AE.writeDataPoint({ indexes: ['a', 'b'] }),
  index96: (env) => env.AE.writeDataPoint({ indexes: ['i'.repeat(96)] }),
  index97: (env) => env.AE.writeDataPoint({ indexes: ['i'.repeat(97)] }),
  // 16 KB of blobs in total is allowed; one byte more is not. 'é' is two bytes in UTF-8.
  blobBytes16k: (env) => env.AE.writeDataPoint({ blobs: ['a'.repeat(8192), 'é'.repeat(4096)] }),
  blobBytesOver: (env) => env.AE.writeDataPoint({ blobs: ['a'.repeat(8192), 'é'.repeat(4096), 'z'] }),
  notObject: (env) => env.AE.writeDataPoint(42),
  blobsNotArray: (env) => env.AE.writeDataPoint({ blobs: 'nope' }),
  numberBlob: (env) => env.AE.writeDataPoint({ blobs: [42, true], doubles: ['3.5'] }),
  points250: (env) => { for (let i = 0; i < 250; i++) env.AE.writeDataPoint({ doubles: [i] }); },
  points251: (env) => { for (let i = 0; i < 251; i++) env.AE.writeDataPoint({ doubles: [i] }); },
  returns: (env) => { const r = env.AE.writeDataPoint({ blobs: ['r'] }); if (r !== undefined) throw new Error('returned ' + r); },
  // A million-element array whose elements count their reads: refused by its length alone.
  hugeBlobs: (env) => {
    let reads = 0;
    const blobs = new Proxy(new Array(1_000_000).fill('x'), { get(target, key, receiver) { if (typeof key === 'string' && /^[0-9]+$/.test(key)) reads++; return Reflect.get(target, key, receiver); } });
    try { env.AE.writeDataPoint({ blobs }); } catch (e) { e.message += ' (elements read: ' + reads + ')'; throw e; }
  },
  hugeDoubles: (env) => env.AE.writeDataPoint({ doubles: new Array(1_000_000).fill(1) }),
  symbolBlob: (env) => env.AE.writeDataPoint({ blobs: [Symbol('s')] }),
  bigintDouble: (env) => env.AE.writeDataPoint({ doubles: [1n] }),
  objectBlob: (env) => env.AE.writeDataPoint({ blobs: ['object', { toString() { return 'custom'; }, valueOf() { return 'value'; } }, new Uint8Array([104, 105])] }),
  fieldOrder: (env) => {
    const order = [];
    env.AE.writeDataPoint({ get blobs() { order.push('blobs'); return []; }, get doubles() { order.push('doubles'); return []; }, get indexes() { order.push('indexes'); return []; } });
    throw new Error(order.join(','));
  },
  tooManyOfTwo: (env) => env.AE.writeDataPoint({ doubles: new Array(21).fill(1), blobs: new Array(21).fill('b') }),
};
export default {
  async fetch(request, env) {
    const name = new URL(request.url).searchParams.get('case');
    try {
      CASES[name](env);
      return Response.json({ ok: true });
    } catch (err) {
      return Response.json({ ok: false, name: err.name, message: err.message });
    }
  },
};
`;

const NO_BINDING = `export default { fetch(request, env) { return new Response(String(env.AE)); } };`;

describe('writeDataPoint', () => {
  let server: WorkerServer;
  before(async () => {
    server = await startWorkers([
      { name: 'ae', code: WORKER, analyticsEngineDatasets: [{ binding: 'AE', dataset: 'events' }] },
      { name: 'other', code: NO_BINDING },
    ]);
  });
  after(() => server.close());

  async function run(name: string): Promise<{ ok: boolean; name?: string; message?: string }> {
    const response = await server.fetch(`/ae/?case=${name}`);
    assert.equal(response.status, 200);
    return response.json() as Promise<{ ok: boolean; name?: string; message?: string }>;
  }

  function query(sql: string): { meta: { name: string; type: string }[]; data: Record<string, unknown>[]; rows: number } {
    return JSON.parse(server.islet.analytics.query('ae', sql).body) as never;
  }

  it('accepts the documented maximums and returns undefined', async () => {
    for (const name of ['full', 'empty', 'emptyObject', 'blobs20', 'doubles20', 'index96', 'blobBytes16k', 'returns', 'numberBlob']) {
      assert.deepEqual(await run(name), { ok: true }, name);
    }
  });

  it('throws workerd\'s TypeErrors past 20 blobs, 20 doubles, 1 index, 96-byte index, 16 KB of blobs', async () => {
    const expect = {
      blobs21: 'writeDataPoint(): Maximum of 20 blobs supported.',
      doubles21: 'writeDataPoint(): Maximum of 20 doubles supported.',
      twoIndexes: 'writeDataPoint(): Maximum of 1 indexes supported.',
      index97: 'writeDataPoint(): Size of indexes[0] exceeds 96 bytes).',
      blobBytesOver: 'writeDataPoint(): Cumulative size of blobs exceeds 16384 bytes).',
    };
    for (const [name, message] of Object.entries(expect)) {
      assert.deepEqual(await run(name), { ok: false, name: 'TypeError', message }, name);
    }
    const notObject = await run('notObject');
    assert.equal(notObject.name, 'TypeError');
    const notArray = await run('blobsNotArray');
    assert.equal(notArray.name, 'TypeError');
    assert.match(notArray.message!, /'blobs' field on 'AnalyticsEngineEvent'/);
  });

  it('allows 250 data points per invocation and refuses the 251st', async () => {
    assert.deepEqual(await run('points250'), { ok: true });
    assert.deepEqual(await run('points251'), { ok: false, name: 'Error', message: 'Analytics Engine write limit exceeded.' });
    // The limit is per invocation: the next request may write again.
    assert.deepEqual(await run('empty'), { ok: true });
  });

  it('stores points with Cloudflare\'s columns: index1, blob1..20, double1..20, _sample_interval 1', async () => {
    const before = Math.floor(Date.now() / 1000);
    assert.deepEqual(await run('full'), { ok: true });
    const result = query(`SELECT timestamp, index1, blob1, blob2, blob3, blob4, blob5, double1, double2, double3, _sample_interval
      FROM events WHERE index1 = 'user-1' ORDER BY timestamp DESC LIMIT 1`);
    assert.deepEqual(result.meta.map((m) => [m.name, m.type]), [
      ['timestamp', 'DateTime'], ['index1', 'String'], ['blob1', 'String'], ['blob2', 'String'], ['blob3', 'String'],
      ['blob4', 'String'], ['blob5', 'String'], ['double1', 'Float64'], ['double2', 'Float64'], ['double3', 'Float64'],
      ['_sample_interval', 'UInt32'],
    ]);
    const row = result.data[0]!;
    // A null blob and unset ones read as '', unset doubles as 0; an ArrayBuffer blob as its UTF-8 text.
    assert.deepEqual({ ...row, timestamp: undefined }, {
      timestamp: undefined, index1: 'user-1', blob1: 'GET', blob2: '/a', blob3: '', blob4: 'bytes', blob5: '',
      double1: 1.5, double2: 200, double3: 0, _sample_interval: 1,
    });
    const written = Date.parse(`${String(row.timestamp).replace(' ', 'T')}Z`) / 1000;
    assert.ok(written >= before && written <= Math.ceil(Date.now() / 1000), `timestamp ${String(row.timestamp)}`);
  });

  it('converts blobs and doubles as workerd does (numbers become strings, numeric strings numbers)', async () => {
    assert.deepEqual(await run('numberBlob'), { ok: true });
    const result = query("SELECT blob1, blob2, double1 FROM events WHERE blob1 = '42' LIMIT 1");
    assert.deepEqual(result.data, [{ blob1: '42', blob2: 'true', double1: 3.5 }]);
  });

  it('counts every point a request wrote, and nothing a refused call tried', async () => {
    const counted = query('SELECT count() AS n FROM events WHERE blob1 = \'b1\'');
    assert.equal(counted.data[0]!.n, '1');
    const overLimit = query('SELECT count() AS n FROM events WHERE blob1 = \'x\'');
    assert.equal(overLimit.data[0]!.n, '0');
  });

  it('is not on env of a worker without the binding', async () => {
    const response = await server.fetch('/other/');
    assert.equal(await response.text(), 'undefined');
  });
});

// workerd's AnalyticsEngineEvent is { indexes, doubles, blobs } of Web IDL types: blobs and indexes
// (ArrayBuffer or ArrayBufferView or DOMString)?, converted with ToString when neither; doubles double,
// converted with ToNumber. https://github.com/cloudflare/workerd/blob/main/src/workerd/api/analytics-engine.h
describe('writeDataPoint argument conversion', () => {
  let server: WorkerServer;
  before(async () => {
    server = await startWorkers([{ name: 'ae', code: WORKER, analyticsEngineDatasets: [{ binding: 'AE', dataset: 'events' }], limits: { cpuMs: 2_000 } }]);
  });
  after(() => server.close());

  async function run(name: string): Promise<{ ok: boolean; name?: string; message?: string }> {
    const response = await server.fetch(`/ae/?case=${name}`);
    assert.equal(response.status, 200);
    return response.json() as Promise<{ ok: boolean; name?: string; message?: string }>;
  }

  it('refuses more than 20 blobs or doubles by the count alone, without reading the elements', async () => {
    assert.deepEqual(await run('hugeBlobs'), { ok: false, name: 'TypeError', message: 'writeDataPoint(): Maximum of 20 blobs supported. (elements read: 0)' });
    assert.deepEqual(await run('hugeDoubles'), { ok: false, name: 'TypeError', message: 'writeDataPoint(): Maximum of 20 doubles supported.' });
    // workerd counts blobs before doubles.
    assert.deepEqual(await run('tooManyOfTwo'), { ok: false, name: 'TypeError', message: 'writeDataPoint(): Maximum of 20 blobs supported.' });
  });

  it('converts as Web IDL does: ToString for a blob that is no buffer (a Symbol cannot be), ToNumber for a double (a BigInt cannot be)', async () => {
    assert.deepEqual(await run('symbolBlob'), { ok: false, name: 'TypeError', message: 'Cannot convert a Symbol value to a string' });
    assert.deepEqual(await run('bigintDouble'), { ok: false, name: 'TypeError', message: 'Cannot convert a BigInt value to a number' });
    assert.deepEqual(await run('objectBlob'), { ok: true });
    const stored = JSON.parse(server.islet.analytics.query('ae', "SELECT blob2, blob3 FROM events WHERE blob1 = 'object'").body) as { data: unknown[] };
    assert.deepEqual(stored.data, [{ blob2: 'custom', blob3: 'hi' }]);
  });

  it('reads the fields in workerd\'s order: indexes, doubles, blobs', async () => {
    assert.deepEqual(await run('fieldOrder'), { ok: false, name: 'Error', message: 'indexes,doubles,blobs' });
  });
});
