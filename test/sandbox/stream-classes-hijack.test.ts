// The stream classes are evaluated on first use, which may come after the tenant has replaced
// built-ins: they work from what the runtime captured at boot, not from what the tenant left. (The
// streams implementation itself still calls some built-ins as it runs, Array.prototype.push and
// Function.prototype.call among them, so those are not replaced here.)
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import zlib from 'node:zlib';
import { startWorker } from '../helpers/worker-server.js';

const HIJACK = `
  const broken = (name) => function () { throw new Error(name + ' was replaced'); };
  // The tenant's own code below builds no typed array from an array and spreads nothing.
  Array.prototype[Symbol.iterator] = broken('Array.prototype[Symbol.iterator]');
  Map.prototype.get = broken('Map.prototype.get');
  Map.prototype.set = broken('Map.prototype.set');
  Map.prototype.delete = broken('Map.prototype.delete');
  ArrayBuffer.prototype.slice = broken('ArrayBuffer.prototype.slice');
  TextDecoder.prototype.decode = broken('TextDecoder.prototype.decode');
`;

describe('stream classes after the tenant replaced built-ins', () => {
  test('compression, text and identity streams still work', async () => {
    const server = await startWorker(`${HIJACK}
      export default { async fetch(request) {
        const gz = new CompressionStream('gzip');
        const w = gz.writable.getWriter();
        w.write(new TextEncoder().encode('hijacked but fine'));
        w.close();
        const dec = new TextDecoderStream();
        const dw = dec.writable.getWriter();
        dw.write(Uint8Array.of(0xc3)); dw.write(Uint8Array.of(0xa9)); dw.close();
        const fixed = new FixedLengthStream(2n);
        const fw = fixed.writable.getWriter();
        fw.write(Uint8Array.of(1, 2)); fw.close();
        const enc = new TextEncoderStream();
        const ew = enc.writable.getWriter();
        ew.write('\\ud83d'); ew.write('\\ude00'); ew.close();
        // Read one after the other: Promise.all would iterate an array, which this tenant broke for itself.
        const compressed = await new Response(gz.readable).arrayBuffer();
        const decoded = await new Response(dec.readable.pipeThrough(new TextEncoderStream())).text();
        const fixedBytes = new Uint8Array(await new Response(fixed.readable).arrayBuffer());
        const encoded = await new Response(enc.readable).text();
        return new Response(compressed, { headers: { 'x-text': encodeURIComponent(decoded + '|' + encoded), 'x-fixed': fixedBytes[0] + ',' + fixedBytes[1] } });
      } }`);
    try {
      const response = await server.fetch('/');
      assert.equal(response.status, 200, server.logs.lines.map((l) => l.message).join('\n'));
      assert.equal(zlib.gunzipSync(Buffer.from(await response.arrayBuffer())).toString(), 'hijacked but fine');
      assert.equal(decodeURIComponent(response.headers.get('x-text')!), 'é|😀');
      assert.equal(response.headers.get('x-fixed'), '1,2');
    } finally {
      await server.close();
    }
  });
});
