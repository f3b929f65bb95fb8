// The host-side key table behind CryptoKey and DigestStream, seen from a real worker: handles are
// released once the isolate's collector has cleared their owners, a full table is swept before it
// refuses, and the table goes with the isolate. Also Workers' DigestStream and timingSafeEqual.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { cryptoTableFor, MAX_HANDLES } from '../../src/host/isolates/host-ops/crypto-table.js';
import { startWorker, type WorkerServer } from '../helpers/worker-server.js';
import { inIsolate } from './harness.js';

// ?make=N imports N HMAC keys (kept when &keep); ?drop forgets the kept ones; ?garbage promotes and
// drops enough objects for full collections; ?use signs with every kept key.
const KEY_WORKER = `
  let kept = [];
  const raw = new Uint8Array(32);
  const importOne = () => crypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  export default { async fetch(request) {
    const params = new URL(request.url).searchParams;
    const make = Number(params.get('make') ?? 0);
    try {
      for (let done = 0; done < make; done += 64) {
        const keys = await Promise.all(Array.from({ length: Math.min(64, make - done) }, importOne));
        if (params.has('keep')) kept.push(...keys);
      }
    } catch (e) {
      return new Response(e.name, { status: 200 });
    }
    if (params.has('drop')) kept = [];
    if (params.has('garbage')) {
      for (let round = 0; round < 20; round++) { let hold = []; for (let i = 0; i < 200000; i++) hold.push({ i }); await null; hold = null; }
    }
    if (params.has('use')) {
      const macs = await Promise.all(kept.map((key) => crypto.subtle.sign('HMAC', key, raw)));
      return new Response(String(macs.filter((mac) => mac.byteLength === 32).length));
    }
    return new Response('ok');
  } };`;

async function withKeyWorker(body: (server: WorkerServer, size: () => number) => Promise<void>): Promise<void> {
  const server = await startWorker(KEY_WORKER, { limits: { cpuMs: 10_000 } });
  try {
    await body(server, () => cryptoTableFor(server.workers.get('test')!.instance!).size);
  } finally {
    await server.close();
  }
}

const get = async (server: WorkerServer, path: string) => (await server.fetch(path)).text();

describe('CryptoKey handles', () => {
  test('keys the isolate dropped leave the host table after a full collection; kept keys stay usable', async () => {
    await withKeyWorker(async (server, size) => {
      assert.equal(await get(server, '/?make=10&keep'), 'ok');
      assert.equal(size(), 10);
      assert.equal(await get(server, '/?make=3000'), 'ok');
      const afterChurn = size();
      assert.ok(afterChurn > 10 && afterChurn <= 3010);
      assert.equal(await get(server, '/?garbage'), 'ok');
      // New keys reach the next sweep, which releases every key the collector cleared.
      assert.equal(await get(server, '/?make=' + afterChurn), 'ok');
      // Without releases it would hold 10 + 2 * afterChurn.
      assert.ok(size() < 10 + afterChurn * 1.5, `table holds ${size()} after the sweep, ${afterChurn} before`);
      assert.equal(await get(server, '/?use'), '10');
    });
  });

  test('a full table refuses with QuotaExceededError while the keys are live, and is swept once they are collected', async () => {
    await withKeyWorker(async (server, size) => {
      assert.equal(await get(server, `/?make=${MAX_HANDLES}&keep`), 'ok');
      assert.equal(size(), MAX_HANDLES);
      assert.equal(await get(server, '/?make=1'), 'QuotaExceededError');
      assert.equal(await get(server, '/?drop&garbage'), 'ok');
      assert.equal(await get(server, '/?make=1&keep'), 'ok');
      assert.ok(size() < 100, `table holds ${size()} after the sweep`);
      assert.equal(await get(server, '/?use'), '1');
    });
  });

  test('the table is dropped with the isolate', async () => {
    await withKeyWorker(async (server, size) => {
      await get(server, '/?make=5&keep');
      const resident = server.workers.get('test')!;
      const instance = resident.instance!;
      assert.equal(size(), 5);
      resident.dispose();
      assert.equal(cryptoTableFor(instance).size, 0);
      assert.equal(cryptoTableFor(instance).closed, true);
    });
  });
});

describe('crypto.DigestStream', () => {
  test('hashes what is written, in chunks of any BufferSource or string, and releases its host state', async () => {
    const r = await inIsolate(`
      const hex = (buffer) => bytesOf(buffer).map((b) => b.toString(16).padStart(2, '0')).join('');
      const stream = new crypto.DigestStream('SHA-256');
      const writer = stream.getWriter();
      await writer.write('a');
      await writer.write(new Uint8Array([98]).buffer);
      await writer.write(new DataView(new Uint8Array([0, 99, 0]).buffer, 1, 1));
      await writer.close();
      const md5 = new crypto.DigestStream({ name: 'md5' });
      await new Response('abc').body.pipeTo(md5);
      const empty = new crypto.DigestStream('SHA-1');
      await empty.getWriter().close();
      const unicode = new crypto.DigestStream('SHA-256');
      const w = unicode.getWriter(); await w.write('\\u00e9'); await w.close();
      return {
        sha256: hex(await stream.digest), md5: hex(await md5.digest), sha1Empty: hex(await empty.digest),
        bytesWritten: [typeof stream.bytesWritten, String(stream.bytesWritten), String(unicode.bytesWritten)],
        isWritable: stream instanceof WritableStream, isDigest: stream instanceof crypto.DigestStream, sameDigest: stream.digest === stream.digest,
        tag: Object.prototype.toString.call(stream), isArrayBuffer: (await stream.digest) instanceof ArrayBuffer,
      };
    `);
    assert.deepEqual(r, {
      sha256: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad', md5: '900150983cd24fb0d6963f7d28e17f72',
      sha1Empty: 'da39a3ee5e6b4b0d3255bfef95601890afd80709', bytesWritten: ['bigint', '3', '2'],
      isWritable: true, isDigest: true, sameDigest: true, tag: '[object DigestStream]', isArrayBuffer: true,
    });
  });

  test('abort rejects digest with the reason; a chunk that is not bytes errors the stream; bad algorithms throw', async () => {
    const r = await inIsolate(`
      const aborted = new crypto.DigestStream('SHA-256');
      await aborted.getWriter().abort(new RangeError('stop'));
      const errored = new crypto.DigestStream('SHA-256');
      const writer = errored.getWriter();
      const pending = await Promise.race([errored.digest.then(() => 'resolved', () => 'rejected'), new Promise((r) => setTimeout(() => r('pending'), 20))]);
      return {
        abortReason: await aborted.digest.then(() => 'resolved', (e) => e instanceof RangeError && e.message),
        badChunk: await rejected(() => writer.write(42)), pending,
        unknown: thrown(() => new crypto.DigestStream('SHA-3')), noArgument: thrown(() => new crypto.DigestStream()),
        notNew: thrown(() => crypto.DigestStream('SHA-256')), getter: thrown(() => Object.getOwnPropertyDescriptor(crypto.DigestStream.prototype, 'digest').get.call({})),
      };
    `);
    assert.deepEqual(r, {
      abortReason: 'stop', badChunk: 'TypeError', pending: 'pending', unknown: 'DOMException:NotSupportedError',
      noArgument: 'TypeError', notNew: 'TypeError', getter: 'TypeError',
    });
  });
});

describe('crypto.subtle.timingSafeEqual', () => {
  test('compares bytes of any BufferSource; different lengths are a TypeError, as Workers documents', async () => {
    const r = await inIsolate(`
      const s = crypto.subtle;
      let lengthMessage;
      try { s.timingSafeEqual(new Uint8Array(2), new Uint8Array(3)); } catch (e) { lengthMessage = e.message; }
      return {
        equal: s.timingSafeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 3])),
        differsLast: s.timingSafeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 4])),
        differsFirst: s.timingSafeEqual(new Uint8Array([0, 2, 3]), new Uint8Array([1, 2, 3])),
        mixed: s.timingSafeEqual(new Uint16Array([0x0201]).buffer, new DataView(new Uint8Array([9, 1, 2, 9]).buffer, 1, 2)),
        empty: s.timingSafeEqual(new ArrayBuffer(0), new Uint8Array(0)),
        length: thrown(() => s.timingSafeEqual(new Uint8Array(2), new Uint8Array(3))), lengthMessage,
        notBuffer: thrown(() => s.timingSafeEqual('ab', 'ab')), missing: thrown(() => s.timingSafeEqual(new Uint8Array(1))),
        detached: thrown(() => s.timingSafeEqual.call({}, new Uint8Array(1), new Uint8Array(1))),
      };
    `);
    assert.deepEqual(r, {
      equal: true, differsLast: false, differsFirst: false, mixed: true, empty: true,
      length: 'TypeError', lengthMessage: 'Input buffers must have the same byte length.',
      notBuffer: 'TypeError', missing: 'TypeError', detached: 'TypeError',
    });
  });
});
