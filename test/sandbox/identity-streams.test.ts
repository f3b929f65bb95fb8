// Workers' IdentityTransformStream and FixedLengthStream inside a real isolate, against Cloudflare's
// documented behaviour (https://developers.cloudflare.com/workers/runtime-apis/streams/transformstream/):
// byte chunks only, a byte-stream readable side (BYOB reads), and for FixedLengthStream an exact total.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { startWorker } from '../helpers/worker-server.js';
import { inIsolate } from './harness.js';

describe('IdentityTransformStream', () => {
  test('passes byte chunks through unchanged and refuses anything else with a TypeError', async () => {
    const r = await inIsolate(`
      const its = new IdentityTransformStream();
      const writer = its.writable.getWriter();
      const source = new Uint8Array([1, 2, 3]);
      writer.write(source);
      writer.write(new Uint8Array([0, 4, 5, 0]).buffer.slice(1, 3));
      writer.write(new DataView(new Uint8Array([9, 6, 9]).buffer, 1, 1));
      writer.write(new Uint8Array(0));
      writer.close();
      const passed = Array.from(new Uint8Array(await new Response(its.readable).arrayBuffer()));
      const refuse = async (chunk) => {
        const s = new IdentityTransformStream();
        const w = s.writable.getWriter();
        const message = await w.write(chunk).then(() => 'no error', (e) => describeError(e) + ': ' + e.message);
        return [message, await rejected(() => s.readable.getReader().read())];
      };
      return {
        passed, sourceIntact: Array.from(source),
        refused: [await refuse('text'), await refuse(7), await refuse([1, 2])],
        surface: [its instanceof TransformStream, its instanceof IdentityTransformStream, Object.prototype.toString.call(its),
          its.readable instanceof ReadableStream, its.writable instanceof WritableStream, thrown(() => IdentityTransformStream())],
      };
    `);
    assert.deepEqual(r.passed, [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(r.sourceIntact, [1, 2, 3]);
    assert.deepEqual(r.refused, [
      ["TypeError: This TransformStream is being used as a byte stream, but received a string on its writable side. If you wish to write a string, you'll probably want to explicitly UTF-8-encode it with TextEncoder.", 'TypeError'],
      ['TypeError: This TransformStream is being used as a byte stream, but received an object of non-ArrayBuffer/ArrayBufferView type on its writable side.', 'TypeError'],
      ['TypeError: This TransformStream is being used as a byte stream, but received an object of non-ArrayBuffer/ArrayBufferView type on its writable side.', 'TypeError'],
    ]);
    assert.deepEqual(r.surface, [true, true, '[object IdentityTransformStream]', true, true, 'TypeError']);
  });

  test('a write resolves once a read has taken its bytes, and the readable side serves BYOB reads', async () => {
    const r = await inIsolate(`
      const its = new IdentityTransformStream();
      const writer = its.writable.getWriter();
      const log = [];
      const write = writer.write(new Uint8Array([10, 20, 30, 40, 50])).then(() => log.push('write resolved'));
      await new Promise((resolve) => setTimeout(resolve, 5));
      log.push('before read');
      const reader = its.readable.getReader({ mode: 'byob' });
      const first = await reader.read(new Uint8Array(3));
      log.push('read ' + Array.from(first.value).join(','));
      const second = await reader.read(new Uint8Array(8));
      await write;
      writer.close();
      const end = await reader.read(new Uint8Array(1));
      const canceled = new IdentityTransformStream();
      const cw = canceled.writable.getWriter();
      const pending = cw.write(new Uint8Array([1]));
      await canceled.readable.cancel(new RangeError('reader left'));
      return { log, second: Array.from(second.value), end: end.done,
        afterCancel: [await rejected(() => pending), await rejected(() => cw.write(new Uint8Array([2])))] };
    `);
    assert.deepEqual(r.log, ['before read', 'read 10,20,30', 'write resolved']);
    assert.deepEqual(r.second, [40, 50]);
    assert.equal(r.end, true);
    assert.deepEqual(r.afterCancel, ['RangeError', 'RangeError']);
  });
});

describe('FixedLengthStream', () => {
  test('carries exactly its expected length: more errors the write, fewer errors the close, both with a TypeError', async () => {
    const r = await inIsolate(`
      const through = async (length, chunks) => {
        const s = new FixedLengthStream(length);
        const w = s.writable.getWriter();
        const reading = new Response(s.readable).arrayBuffer().then((b) => b.byteLength, (e) => describeError(e) + ': ' + e.message);
        const writes = [];
        for (const c of chunks) writes.push(await w.write(new Uint8Array(c)).then(() => 'ok', (e) => describeError(e) + ': ' + e.message));
        const closed = await w.close().then(() => 'closed', (e) => describeError(e) + ': ' + e.message);
        return { writes, closed, read: await reading };
      };
      return {
        exact: await through(5, [3, 2]),
        bigint: await through(2n, [2]),
        zero: await through(0, []),
        over: await through(4, [3, 2]),
        under: await through(6, [3, 2]),
        lengths: [-1, 1.5, 2 ** 53, 'x', NaN, undefined].map((n) => thrown(() => new FixedLengthStream(n))),
        missing: thrown(() => new FixedLengthStream()),
        surface: [new FixedLengthStream(1) instanceof IdentityTransformStream, new FixedLengthStream(1) instanceof TransformStream,
          Object.prototype.toString.call(new FixedLengthStream(1))],
      };
    `);
    assert.deepEqual(r.exact, { writes: ['ok', 'ok'], closed: 'closed', read: 5 });
    assert.deepEqual(r.bigint, { writes: ['ok'], closed: 'closed', read: 2 });
    assert.deepEqual(r.zero, { writes: [], closed: 'closed', read: 0 });
    const tooMany = 'TypeError: Attempt to write too many bytes through a FixedLengthStream.';
    const over = r.over as { writes: string[]; closed: string; read: string };
    assert.deepEqual([over.writes, over.read], [['ok', tooMany], tooMany]);
    // Closing an errored stream is a TypeError of its own (Streams, WritableStreamClose).
    assert.match(over.closed, /^TypeError: /);
    const tooFew = 'TypeError: FixedLengthStream did not see all expected bytes before close().';
    assert.deepEqual(r.under, { writes: ['ok', 'ok'], closed: tooFew, read: tooFew });
    assert.deepEqual(r.lengths, ['TypeError', 'TypeError', 'TypeError', 'TypeError', 'TypeError', 'TypeError']);
    assert.equal(r.missing, 'TypeError');
    assert.deepEqual(r.surface, [true, true, '[object FixedLengthStream]']);
  });

  test('a worker answers with a FixedLengthStream body', async () => {
    const server = await startWorker(`export default { fetch() {
      const { readable, writable } = new FixedLengthStream(11);
      const writer = writable.getWriter();
      const bytes = new TextEncoder().encode('hello world');
      writer.write(bytes.subarray(0, 5));
      writer.write(bytes.subarray(5));
      writer.close();
      return new Response(readable);
    } }`);
    try {
      const response = await server.fetch('/');
      assert.equal(response.status, 200);
      assert.equal(await response.text(), 'hello world');
    } finally {
      await server.close();
    }
  });
});
