// CompressionStream and DecompressionStream (https://compression.spec.whatwg.org/) inside real
// isolates, with node:zlib on the test's side as the reference: what the isolate compresses, zlib
// decompresses, and the reverse, for every format.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import zlib from 'node:zlib';
import { compressionTableFor, MAX_COMPRESSION_STREAMS } from '../../src/host/isolates/host-ops/compression-table.js';
import { OUTPUT_SLICE, ZlibEngine } from '../../src/host/isolates/host-ops/zlib-engine.js';
import { startWorker } from '../helpers/worker-server.js';
import { inIsolate } from './harness.js';

const FORMATS = ['gzip', 'deflate', 'deflate-raw'] as const;
const compressWith = { gzip: zlib.gzipSync, deflate: zlib.deflateSync, 'deflate-raw': zlib.deflateRawSync } as const;
const decompressWith = { gzip: zlib.gunzipSync, deflate: zlib.inflateSync, 'deflate-raw': zlib.inflateRawSync } as const;

// Text with some repetition and every UTF-8 length, long enough to span several 64 KB slices.
const SAMPLE = Array.from({ length: 6000 }, (_, i) => `line ${i}: é € 😀 ${'x'.repeat(i % 37)}\n`).join('');

// The worker compresses or decompresses whatever it is sent, in the format the path names, writing
// the input in 1000-byte chunks so sequences and headers are split across writes.
const ROUND_TRIP_WORKER = `export default { async fetch(request) {
  const url = new URL(request.url);
  const format = url.searchParams.get('format');
  const stream = url.pathname === '/compress' ? new CompressionStream(format) : new DecompressionStream(format);
  const input = new Uint8Array(await request.arrayBuffer());
  const writer = stream.writable.getWriter();
  (async () => {
    for (let i = 0; i < input.length; i += 1000) await writer.write(input.subarray(i, i + 1000));
    await writer.close();
  })().catch(() => {});
  try {
    return new Response(await new Response(stream.readable).arrayBuffer());
  } catch (e) {
    return new Response(e.constructor.name + ': ' + e.message, { status: 422 });
  }
} }`;

describe('CompressionStream and DecompressionStream', () => {
  test('output round-trips with node:zlib both ways, in every format', async () => {
    const server = await startWorker(ROUND_TRIP_WORKER, { limits: { cpuMs: 5_000 } });
    try {
      const original = Buffer.from(SAMPLE);
      for (const format of FORMATS) {
        const compressed = await server.fetch(`/compress?format=${format}`, { method: 'POST', body: original });
        assert.equal(compressed.status, 200, format);
        const bytes = Buffer.from(await compressed.arrayBuffer());
        assert.ok(bytes.length < original.length / 2, `${format} compressed ${original.length} bytes to ${bytes.length}`);
        assert.equal(decompressWith[format](bytes).toString(), SAMPLE, `${format}: isolate -> node:zlib`);

        const decompressed = await server.fetch(`/decompress?format=${format}`, { method: 'POST', body: compressWith[format](original) });
        assert.equal(decompressed.status, 200, format);
        assert.equal(await decompressed.text(), SAMPLE, `${format}: node:zlib -> isolate`);
      }
      // An empty input is still a whole compressed stream.
      const empty = await server.fetch('/compress?format=gzip', { method: 'POST', body: '' });
      assert.equal(zlib.gunzipSync(Buffer.from(await empty.arrayBuffer())).length, 0);
    } finally {
      await server.close();
    }
  });

  test('corrupt, truncated and trailing input error the stream with a TypeError', async () => {
    const server = await startWorker(ROUND_TRIP_WORKER, { limits: { cpuMs: 5_000 } });
    try {
      const decompress = async (format: string, body: Buffer) => {
        const response = await server.fetch(`/decompress?format=${format}`, { method: 'POST', body });
        return [response.status, await response.text()] as const;
      };
      const gz = zlib.gzipSync(Buffer.from(SAMPLE));
      assert.deepEqual(await decompress('gzip', Buffer.from('this is not gzip at all')), [422, 'TypeError: Decompression failed.']);
      assert.deepEqual(await decompress('deflate', Buffer.from('neither is this')), [422, 'TypeError: Decompression failed.']);
      assert.deepEqual(await decompress('gzip', gz.subarray(0, gz.length - 10)),
        [422, 'TypeError: Called close() on a decompression stream with incomplete data']);
      assert.deepEqual(await decompress('deflate-raw', Buffer.alloc(0)),
        [422, 'TypeError: Called close() on a decompression stream with incomplete data']);
      // The spec: data after the end of the compressed stream is an error, a second gzip member included.
      assert.deepEqual(await decompress('gzip', Buffer.concat([gz, Buffer.from('junk')])), [422, 'TypeError: Trailing bytes after end of compressed data']);
      assert.deepEqual(await decompress('gzip', Buffer.concat([gz, gz])), [422, 'TypeError: Trailing bytes after end of compressed data']);
      const df = zlib.deflateSync(Buffer.from('abc'));
      assert.deepEqual(await decompress('deflate', Buffer.concat([df, Buffer.from([0])])), [422, 'TypeError: Trailing bytes after end of compressed data']);
      // A corrupt stream's zlib state is freed with it.
      assert.equal(compressionTableFor(server.workers.get('test')!.instance!).size, 0);
    } finally {
      await server.close();
    }
  });

  test('the constructor takes only the three formats, and the writable side only bytes', async () => {
    const r = await inIsolate(`
      const ctor = (C, ...args) => thrown(() => new C(...args));
      const write = async (chunk) => {
        const cs = new CompressionStream('gzip');
        const writer = cs.writable.getWriter();
        const reader = cs.readable.getReader();
        const wrote = await rejected(() => writer.write(chunk));
        return [wrote, await rejected(() => reader.read())];
      };
      const stringified = new CompressionStream({ toString: () => 'deflate' });
      return {
        formats: ['gzip', 'deflate', 'deflate-raw'].map((f) => [ctor(CompressionStream, f), ctor(DecompressionStream, f)]),
        bad: [ctor(CompressionStream, 'br'), ctor(CompressionStream, 'GZIP'), ctor(DecompressionStream, 'gzip '), ctor(CompressionStream),
          thrown(() => CompressionStream('gzip'))],
        message: (() => { try { new DecompressionStream('zstd'); } catch (e) { return e.message; } })(),
        stringified: stringified instanceof CompressionStream,
        chunks: [await write('text'), await write(42), await write({ length: 1 })],
        views: await (async () => {
          const cs = new CompressionStream('deflate');
          const writer = cs.writable.getWriter();
          writer.write(new Uint8Array([104, 105]).buffer);
          writer.write(new DataView(new Uint8Array([0, 33, 0]).buffer, 1, 1));
          writer.write(new Uint16Array([0x6868]));
          writer.close();
          return new Response(cs.readable).arrayBuffer().then((b) => Array.from(new Uint8Array(b)));
        })(),
        surface: [Object.prototype.toString.call(new DecompressionStream('gzip')), typeof Object.getOwnPropertyDescriptor(CompressionStream.prototype, 'readable').get,
          new CompressionStream('gzip').readable instanceof ReadableStream, new CompressionStream('gzip').writable instanceof WritableStream],
      };
    `);
    assert.deepEqual(r.formats, [['no error', 'no error'], ['no error', 'no error'], ['no error', 'no error']]);
    assert.deepEqual(r.bad, ['TypeError', 'TypeError', 'TypeError', 'TypeError', 'TypeError']);
    assert.equal(r.message, "The compression format must be either 'deflate', 'deflate-raw' or 'gzip'.");
    assert.equal(r.stringified, true);
    assert.deepEqual(r.chunks, [['TypeError', 'TypeError'], ['TypeError', 'TypeError'], ['TypeError', 'TypeError']]);
    assert.equal(zlib.inflateSync(Buffer.from(r.views as number[])).toString(), 'hi!hh');
    assert.deepEqual(r.surface, ['[object DecompressionStream]', 'function', true, true]);
  });

  test('a decompression bomb streams out in bounded slices as it is read, within the isolate memory limit', async () => {
    // 160 MB of zeros gzip to ~160 KB: more than the isolate's 128 MB, were it produced all at once.
    const zeros = Buffer.alloc(1024 * 1024);
    const gzip = zlib.createGzip();
    const chunks: Buffer[] = [];
    gzip.on('data', (c: Buffer) => chunks.push(c));
    const done = new Promise((resolve) => gzip.on('end', resolve));
    for (let i = 0; i < 160; i++) gzip.write(zeros);
    gzip.end();
    await done;
    const body = Buffer.concat(chunks);
    const server = await startWorker(`export default { async fetch(request) {
      const reader = request.body.pipeThrough(new DecompressionStream('gzip')).getReader();
      let total = 0, largest = 0, count = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        total += value.byteLength; count++;
        if (value.byteLength > largest) largest = value.byteLength;
      }
      return Response.json({ total, largest, count });
    } }`, { limits: { cpuMs: 20_000 } });
    try {
      const response = await server.fetch('/', { method: 'POST', body });
      assert.equal(response.status, 200, await response.clone().text());
      const result = await response.json() as { total: number; largest: number; count: number };
      assert.equal(result.total, 160 * 1024 * 1024);
      assert.ok(result.largest <= 64 * 1024, `largest chunk ${result.largest}`);
    } finally {
      await server.close();
    }
  });

  test('zlib states are freed when streams end, fail or are canceled, capped per worker, and dropped with the instance', async () => {
    const server = await startWorker(`const held = [];
    export default { async fetch(request) {
      const path = new URL(request.url).pathname;
      if (path === '/finish') {
        for (let i = 0; i < 20; i++) {
          const cs = new CompressionStream('gzip');
          const w = cs.writable.getWriter(); w.write(new Uint8Array([1, 2, 3])); w.close();
          await new Response(cs.readable).arrayBuffer();
          const ds = new DecompressionStream('deflate');
          await ds.readable.cancel('not needed');
          const cs2 = new CompressionStream('deflate-raw');
          await cs2.writable.abort('changed my mind');
        }
        return new Response('ok');
      }
      if (path === '/hold') {
        for (let i = 0; i < ${MAX_COMPRESSION_STREAMS}; i++) held.push(new CompressionStream('gzip'));
        let over;
        try { held.push(new CompressionStream('gzip')); over = 'no error'; } catch (e) { over = e.name; }
        return new Response(over);
      }
      return new Response('?');
    } }`, { limits: { cpuMs: 5_000 } });
    try {
      assert.equal(await (await server.fetch('/finish')).text(), 'ok');
      const worker = server.workers.get('test')!;
      const table = compressionTableFor(worker.instance!);
      assert.equal(table.size, 0);
      assert.equal(await (await server.fetch('/hold')).text(), 'QuotaExceededError');
      assert.equal(table.size, MAX_COMPRESSION_STREAMS);
      worker.instance!.retire();
      // Any compression work of any worker afterwards frees what a dead instance held.
      const other = await startWorker(`export default { fetch() { new CompressionStream('gzip'); return new Response('ok'); } }`);
      try {
        assert.equal(await (await other.fetch('/')).text(), 'ok');
      } finally {
        await other.close();
      }
      assert.equal(table.size, 0);
    } finally {
      await server.close();
    }
  });
});

describe('the host zlib engine', () => {
  test('no step produces more than one output slice, however far its input inflates', () => {
    const input = zlib.gzipSync(Buffer.alloc(4 * 1024 * 1024));
    const engine = new ZlibEngine('gzip', true);
    let step = engine.write(new Uint8Array(input));
    let total = 0;
    let steps = 1;
    while (step.more) {
      assert.equal(step.output?.byteLength, OUTPUT_SLICE);
      total += step.output.byteLength;
      step = engine.next();
      steps++;
    }
    total += step.output?.byteLength ?? 0;
    assert.equal(engine.finish().more, false);
    assert.equal(total, 4 * 1024 * 1024);
    assert.ok(steps >= (4 * 1024 * 1024) / OUTPUT_SLICE);
    engine.close();
    assert.throws(() => engine.next(), /closed/);
  });
});
