// TextEncoderStream and TextDecoderStream (https://encoding.spec.whatwg.org/#interface-textencoderstream)
// inside a real isolate.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { inIsolate } from './harness.js';

// Helpers for the isolate: write chunks, collect what comes out, and report how the stream ended.
const STREAM_HELPERS = `
  const run = async (stream, chunks) => {
    const writer = stream.writable.getWriter();
    const reader = stream.readable.getReader();
    const writes = (async () => { for (const c of chunks) await writer.write(c); await writer.close(); })().catch((e) => describeError(e));
    const out = [];
    try {
      for (;;) { const { done, value } = await reader.read(); if (done) break; out.push(value); }
    } catch (e) {
      return { out, error: describeError(e), writes: await writes };
    }
    return { out, writes: await writes };
  };
`;

describe('TextEncoderStream', () => {
  test('encodes each chunk to UTF-8, keeping a surrogate pair split across chunks whole', async () => {
    const r = await inIsolate(`${STREAM_HELPERS}
      const bytes = async (chunks) => (await run(new TextEncoderStream(), chunks)).out.map((u) => Array.from(u));
      const s = new TextEncoderStream();
      return {
        attrs: [s.encoding, Object.prototype.toString.call(s), s.readable instanceof ReadableStream, s.writable instanceof WritableStream],
        plain: await bytes(['hé', '', '€']),
        split: await bytes(['a\\ud83d', '\\ude00b']),
        splitAlone: await bytes(['\\ud83d', '\\ude00']),
        loneHighThenText: await bytes(['\\ud83d', 'x']),
        loneHighAtEnd: await bytes(['z\\ud83d']),
        loneLow: await bytes(['\\ude00']),
        coerced: await bytes([1, null, { toString: () => 'o' }]),
        symbol: (await run(new TextEncoderStream(), [Symbol('s')])).error,
        types: (await run(new TextEncoderStream(), ['x'])).out.map((u) => u.constructor.name + ':' + u.byteOffset + ':' + (u.buffer.byteLength === u.byteLength)),
        noNew: thrown(() => TextEncoderStream()),
      };
    `);
    assert.deepEqual(r.attrs, ['utf-8', '[object TextEncoderStream]', true, true]);
    // An empty chunk enqueues nothing.
    assert.deepEqual(r.plain, [[0x68, 0xc3, 0xa9], [0xe2, 0x82, 0xac]]);
    assert.deepEqual(r.split, [[0x61], [0xf0, 0x9f, 0x98, 0x80, 0x62]]);
    assert.deepEqual(r.splitAlone, [[0xf0, 0x9f, 0x98, 0x80]]);
    assert.deepEqual(r.loneHighThenText, [[0xef, 0xbf, 0xbd, 0x78]]);
    assert.deepEqual(r.loneHighAtEnd, [[0x7a], [0xef, 0xbf, 0xbd]]);
    assert.deepEqual(r.loneLow, [[0xef, 0xbf, 0xbd]]);
    assert.deepEqual(r.coerced, [[0x31], [0x6e, 0x75, 0x6c, 0x6c], [0x6f]]);
    assert.equal(r.symbol, 'TypeError');
    assert.deepEqual(r.types, ['Uint8Array:0:true']);
    assert.equal(r.noNew, 'TypeError');
  });
});

describe('TextDecoderStream', () => {
  test('decodes a multi-byte sequence split across chunks wherever it is cut', async () => {
    const r = await inIsolate(`${STREAM_HELPERS}
      const bytes = new TextEncoder().encode('a\\u00e9\\u20ac\\ud83d\\ude00z');
      const results = [];
      for (let cut = 0; cut <= bytes.length; cut++) {
        const { out } = await run(new TextDecoderStream(), [bytes.slice(0, cut), bytes.slice(cut)]);
        results.push(out.join(''));
      }
      const oneByOne = await run(new TextDecoderStream(), Array.from(bytes, (b) => new Uint8Array([b])));
      const utf16 = await run(new TextDecoderStream('utf-16le'), [new Uint8Array([0x41, 0x00, 0x3d, 0xd8, 0x00]), new Uint8Array([0xde, 0x42, 0x00])]);
      const unfinished = await run(new TextDecoderStream(), [new Uint8Array([0x61, 0xe2, 0x82])]);
      return { results, oneByOne: oneByOne.out, utf16: utf16.out, unfinished: unfinished.out };
    `);
    assert.ok((r.results as string[]).every((s) => s === 'aé€😀z'), JSON.stringify(r.results));
    // Nothing is enqueued for a chunk that completes no character.
    assert.deepEqual(r.oneByOne, ['a', 'é', '€', '😀', 'z']);
    assert.deepEqual(r.utf16, ['A', '😀B']);
    assert.deepEqual(r.unfinished, ['a', '\ufffd']);
  });

  test('fatal, ignoreBOM, labels and chunk types', async () => {
    const r = await inIsolate(`${STREAM_HELPERS}
      const bom = [0xef, 0xbb, 0xbf];
      const d = new TextDecoderStream('UTF8', { fatal: true, ignoreBOM: true });
      const fatalBad = await run(new TextDecoderStream('utf-8', { fatal: true }), [new Uint8Array([0x61]), new Uint8Array([0xff])]);
      const fatalTruncated = await run(new TextDecoderStream('utf-8', { fatal: true }), [new Uint8Array([0xe2, 0x82])]);
      return {
        attrs: [d.encoding, d.fatal, d.ignoreBOM, Object.prototype.toString.call(d)],
        defaults: (() => { const s = new TextDecoderStream(); return [s.encoding, s.fatal, s.ignoreBOM]; })(),
        latin1: new TextDecoderStream('latin1').encoding,
        badLabel: thrown(() => new TextDecoderStream('nonsense')),
        bomDropped: (await run(new TextDecoderStream(), [new Uint8Array(bom.slice(0, 2)), new Uint8Array([...bom.slice(2), 0x61]), new Uint8Array(bom)])).out.join(''),
        bomKept: (await run(new TextDecoderStream('utf-8', { ignoreBOM: true }), [new Uint8Array([...bom, 0x61])])).out.join(''),
        fatalBad: [fatalBad.out, fatalBad.error, fatalBad.writes],
        fatalTruncated: [fatalTruncated.out, fatalTruncated.error],
        sources: (await run(new TextDecoderStream(), [new Uint8Array([0x61]).buffer, new DataView(new Uint8Array([0, 0x62]).buffer, 1), new Uint16Array([0x6463])])).out,
        notBytes: (await run(new TextDecoderStream(), ['text'])).error,
      };
    `);
    assert.deepEqual(r.attrs, ['utf-8', true, true, '[object TextDecoderStream]']);
    assert.deepEqual(r.defaults, ['utf-8', false, false]);
    assert.equal(r.latin1, 'windows-1252');
    assert.equal(r.badLabel, 'RangeError');
    // Only the stream's first BOM is dropped; a later U+FEFF is text.
    assert.equal(r.bomDropped, 'a\ufeff');
    assert.equal(r.bomKept, '\ufeffa');
    assert.deepEqual(r.fatalBad, [['a'], 'TypeError', 'TypeError']);
    assert.deepEqual(r.fatalTruncated, [[], 'TypeError']);
    assert.deepEqual(r.sources, ['a', 'b', 'cd']);
    assert.equal(r.notBytes, 'TypeError');
  });

  test('pipes a response body through TextDecoderStream and back through TextEncoderStream', async () => {
    const r = await inIsolate(`
      const text = 'zürich € 😀 '.repeat(5000);
      const decoded = [];
      await new Response(text).body.pipeThrough(new TextDecoderStream()).pipeTo(new WritableStream({ write(s) { decoded.push(s); } }));
      const again = await new Response(new Response(text).body.pipeThrough(new TextDecoderStream()).pipeThrough(new TextEncoderStream())).text();
      return { decoded: decoded.join('') === text, again: again === text };
    `);
    assert.deepEqual(r, { decoded: true, again: true });
  });
});
