// TextEncoder, TextDecoder (https://encoding.spec.whatwg.org/) and atob/btoa (HTML's forgiving-base64)
// inside a real isolate.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { inIsolate } from './harness.js';

const encodings = readFileSync(new URL('../fixtures/conformance/encodings.json', import.meta.url), 'utf8');

describe('TextDecoder', () => {
  test('decodes UTF-8 by default and replaces malformed sequences with U+FFFD', async () => {
    const r = await inIsolate(`
      const d = new TextDecoder();
      const dec = (bytes) => d.decode(new Uint8Array(bytes));
      return {
        attrs: [d.encoding, d.fatal, d.ignoreBOM, Object.prototype.toString.call(d)],
        text: dec([0x68, 0xc3, 0xa9, 0x20, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80]),
        truncated: dec([0x41, 0xe2, 0x82]), lone: dec([0xff]), overlong: dec([0xc0, 0x80]), surrogate: dec([0xed, 0xa0, 0x80]),
        sources: [d.decode(new Uint8Array([0x61, 0x62]).buffer), d.decode(new DataView(new Uint8Array([0x63]).buffer)),
          d.decode(new Uint16Array([0x6261])), d.decode(new Uint8Array([0, 0x64, 0]).subarray(1, 2)), d.decode()],
        nullInput: thrown(() => d.decode(null)),
      };
    `);
    assert.deepEqual(r.attrs, ['utf-8', false, false, '[object TextDecoder]']);
    assert.equal(r.text, 'hé €😀');
    assert.equal(r.truncated, 'A\ufffd');
    assert.equal(r.lone, '\ufffd');
    assert.equal(r.overlong, '\ufffd\ufffd');
    assert.equal(r.surrogate, '\ufffd\ufffd\ufffd');
    assert.deepEqual(r.sources, ['ab', 'c', 'ab', 'd', '']);
    assert.equal(r.nullInput, 'TypeError');
  });

  test('streaming keeps a multi-byte sequence split across chunks whole, wherever it is cut', async () => {
    const r = await inIsolate(`
      const bytes = new TextEncoder().encode('a\\u00e9\\u20ac\\ud83d\\ude00z');
      const results = [];
      for (let cut = 0; cut <= bytes.length; cut++) {
        const d = new TextDecoder();
        results.push(d.decode(bytes.subarray(0, cut), { stream: true }) + d.decode(bytes.subarray(cut)));
      }
      const d = new TextDecoder();
      let oneByOne = '';
      for (const b of bytes) oneByOne += d.decode(new Uint8Array([b]), { stream: true });
      oneByOne += d.decode();
      const f = new TextDecoder();
      const flushed = [f.decode(new Uint8Array([0xe2, 0x82]), { stream: true }), f.decode()];
      return { results, oneByOne, flushed };
    `);
    assert.ok((r.results as string[]).every((s) => s === 'aé€😀z'), JSON.stringify(r.results));
    assert.equal(r.oneByOne, 'aé€😀z');
    assert.deepEqual(r.flushed, ['', '\ufffd']);
  });

  test('fatal mode throws TypeError on malformed input, including an unfinished sequence at the end', async () => {
    const r = await inIsolate(`
      const f = () => new TextDecoder('utf-8', { fatal: true });
      const s = f();
      return {
        fatal: f().fatal, bad: thrown(() => f().decode(new Uint8Array([0xff]))), truncated: thrown(() => f().decode(new Uint8Array([0xe2, 0x82]))),
        streamed: [s.decode(new Uint8Array([0xe2]), { stream: true }), thrown(() => s.decode())],
        good: f().decode(new Uint8Array([0xe2, 0x82, 0xac])),
      };
    `);
    assert.deepEqual(r, { fatal: true, bad: 'TypeError', truncated: 'TypeError', streamed: ['', 'TypeError'], good: '€' });
  });

  test('a leading BOM is dropped once per stream unless ignoreBOM is set', async () => {
    const r = await inIsolate(`
      const u8 = (...b) => new Uint8Array(b);
      const d = new TextDecoder();
      const split = [d.decode(u8(0xef), { stream: true }), d.decode(u8(0xbb, 0xbf, 0x41))];
      const twice = [d.decode(u8(0xef, 0xbb, 0xbf), { stream: true }), d.decode(u8(0xef, 0xbb, 0xbf, 0x42))];
      const reset = d.decode(u8(0xef, 0xbb, 0xbf, 0x43));
      const midStream = [d.decode(u8(0x41), { stream: true }), d.decode(u8(0xef, 0xbb, 0xbf))];
      return {
        stripped: new TextDecoder().decode(u8(0xef, 0xbb, 0xbf, 0x41)),
        kept: new TextDecoder('utf-8', { ignoreBOM: true }).decode(u8(0xef, 0xbb, 0xbf, 0x41)),
        split, twice, reset, midStream,
        utf16: new TextDecoder('utf-16le').decode(u8(0xff, 0xfe, 0x41, 0x00)),
        latin1NoBom: new TextDecoder('windows-1252').decode(u8(0xef, 0xbb, 0xbf)),
      };
    `);
    assert.equal(r.stripped, 'A');
    assert.equal(r.kept, '\ufeffA');
    assert.deepEqual(r.split, ['', 'A']);
    assert.deepEqual(r.twice, ['', '\ufeffB']);
    assert.equal(r.reset, 'C');
    assert.deepEqual(r.midStream, ['A', '\ufeff']);
    assert.equal(r.utf16, 'A');
    assert.equal(r.latin1NoBom, 'ï»¿');
  });

  test('UTF-16LE and windows-1252 by their labels, streaming UTF-16 included', async () => {
    const r = await inIsolate(`
      const u8 = (...b) => new Uint8Array(b);
      const s = new TextDecoder('utf-16le');
      const streamed = s.decode(u8(0x41), { stream: true }) + s.decode(u8(0x00, 0x3d), { stream: true }) + s.decode(u8(0xd8, 0x00), { stream: true }) + s.decode(u8(0xde));
      return {
        utf16: ['utf-16le', 'UTF-16', 'ucs-2', 'unicode'].map((l) => new TextDecoder(l).encoding),
        utf16Text: new TextDecoder('utf-16le').decode(u8(0x41, 0x00, 0x3d, 0xd8, 0x00, 0xde)),
        streamed, oddTail: new TextDecoder('utf-16le').decode(u8(0x41, 0x00, 0x42)),
        latin1: ['latin1', 'ascii', 'ISO-8859-1', 'us-ascii', 'windows-1252', 'cp1252'].map((l) => new TextDecoder(l).encoding),
        latin1Text: new TextDecoder('iso-8859-1').decode(u8(0x80, 0xe9, 0x9f, 0x41)),
        utf16be: new TextDecoder('utf-16be').decode(u8(0x00, 0x41)),
        legacyStreamed: [['shift_jis', [0x93, 0xfa, 0x96, 0x7b]], ['gb18030', [0x81, 0x30, 0x81, 0x30, 0x41]], ['euc-kr', [0xb0, 0xa1]]]
          .map(([label, bytes]) => { const d = new TextDecoder(label); return bytes.map((b) => d.decode(u8(b), { stream: true })).join('') + d.decode(); }),
      };
    `);
    assert.deepEqual(r.utf16, ['utf-16le', 'utf-16le', 'utf-16le', 'utf-16le']);
    assert.equal(r.utf16Text, 'A😀');
    assert.equal(r.streamed, 'A😀');
    assert.equal(r.oddTail, 'AB'.slice(0, 1) + '\ufffd');
    assert.deepEqual(r.latin1, Array(6).fill('windows-1252'));
    assert.equal(r.latin1Text, '€éŸA');
    assert.equal(r.utf16be, 'A');
    assert.deepEqual(r.legacyStreamed, ['日本', '\u0080A', '가']);
  });

  test('labels: unknown ones and "replacement" throw RangeError; ASCII whitespace and case are ignored', async () => {
    const r = await inIsolate(`
      const label = (l) => { try { return new TextDecoder(l).encoding; } catch (e) { return describeError(e); } };
      return {
        invalid: ['nope', 'utf-7', 'replacement', 'iso-2022-kr', '', '\\u00a0utf-8', 'utf\\u00ad8'].map(label),
        padded: [' UTF-8 ', '\\t\\n\\f\\rutf8\\n', 'Utf-8'].map(label),
      };
    `);
    assert.deepEqual(r.invalid, Array(7).fill('RangeError'));
    assert.deepEqual(r.padded, ['utf-8', 'utf-8', 'utf-8']);
  });

  test('every label in encodings.json names its encoding', async () => {
    const r = await inIsolate<{ total: number; failures: unknown[] }>(`
      const data = ${encodings};
      const failures = [];
      let total = 0;
      for (const group of data) for (const { name, labels } of group.encodings) for (const l of labels) {
        for (const variant of [l, l.toUpperCase(), ' ' + l + '\\t']) {
          total++;
          let got;
          try { got = new TextDecoder(variant).encoding; } catch (e) { got = describeError(e); }
          const want = name === 'replacement' ? 'RangeError' : name.toLowerCase();
          if (got !== want) failures.push([variant, got, want]);
        }
      }
      return { total, failures };
    `);
    assert.ok(r.total > 600, `only ${r.total} labels`);
    assert.deepEqual(r.failures, []);
  });
});

describe('TextEncoder', () => {
  test('encodes UTF-8, with lone surrogates as U+FFFD, short and long strings alike', async () => {
    const r = await inIsolate(`
      const e = new TextEncoder();
      const long = 'x'.repeat(300) + '\\ud800' + '\\u20ac';
      const longBytes = e.encode(long);
      return {
        encoding: e.encoding, empty: bytesOf(e.encode('')), none: bytesOf(e.encode()), nul: bytesOf(e.encode(null)),
        text: bytesOf(e.encode('a\\u00e9\\u20ac\\ud83d\\ude00')), lone: bytesOf(e.encode('\\ud800a\\udc00')),
        longTail: Array.from(longBytes.subarray(300)), longLength: longBytes.length, isU8: e.encode('x') instanceof Uint8Array,
      };
    `);
    assert.equal(r.encoding, 'utf-8');
    assert.deepEqual([r.empty, r.none, r.nul], [[], [], [0x6e, 0x75, 0x6c, 0x6c]]);
    assert.deepEqual(r.text, [0x61, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80]);
    assert.deepEqual(r.lone, [0xef, 0xbf, 0xbd, 0x61, 0xef, 0xbf, 0xbd]);
    assert.deepEqual(r.longTail, [0xef, 0xbf, 0xbd, 0xe2, 0x82, 0xac]);
    assert.equal(r.longLength, 306);
    assert.equal(r.isU8, true);
  });

  test('encodeInto reports code units read and bytes written, never splitting a character', async () => {
    const r = await inIsolate(`
      const e = new TextEncoder();
      const into = (s, n) => { const d = new Uint8Array(n); const res = e.encodeInto(s, d); return [res.read, res.written, Array.from(d)]; };
      const big = new Uint8Array(8);
      const view = big.subarray(2, 5);
      const res = e.encodeInto('\\u20acz', view);
      return {
        fits: into('h\\u00e9llo', 4), pair: [into('a\\ud83d\\ude00', 4), into('a\\ud83d\\ude00', 5)], lone: into('\\ud800', 3),
        empty: into('', 2), offset: [res.read, res.written, Array.from(big)],
        notU8: thrown(() => e.encodeInto('a', new Uint16Array(2))), long: into('\\u00e9'.repeat(400), 801)[1],
      };
    `);
    assert.deepEqual(r.fits, [3, 4, [0x68, 0xc3, 0xa9, 0x6c]]);
    assert.deepEqual(r.pair, [[1, 1, [0x61, 0, 0, 0]], [3, 5, [0x61, 0xf0, 0x9f, 0x98, 0x80]]]);
    assert.deepEqual(r.lone, [1, 3, [0xef, 0xbf, 0xbd]]);
    assert.deepEqual(r.empty, [0, 0, [0, 0]]);
    assert.deepEqual(r.offset, [1, 3, [0, 0, 0xe2, 0x82, 0xac, 0, 0, 0]]);
    assert.equal(r.notU8, 'TypeError');
    assert.equal(r.long, 800);
  });
});

describe('atob / btoa', () => {
  test('btoa encodes Latin-1 strings and rejects anything wider with InvalidCharacterError', async () => {
    const r = await inIsolate(`
      let err;
      try { btoa('\\u20ac'); } catch (e) { err = [e instanceof DOMException, e.name, e.code]; }
      return { out: ['', 'a', 'ab', 'abc', '\\xff\\xfe', '\\u0000'].map((s) => btoa(s)), err, noArgs: thrown(() => btoa()), number: btoa(12) };
    `);
    assert.deepEqual(r.out, ['', 'YQ==', 'YWI=', 'YWJj', '//4=', 'AA==']);
    assert.deepEqual(r.err, [true, 'InvalidCharacterError', 5]);
    assert.equal(r.noArgs, 'TypeError');
    assert.equal(r.number, 'MTI=');
  });

  test('atob is forgiving about ASCII whitespace and padding, and strict about everything else', async () => {
    const r = await inIsolate(`
      const dec = (s) => { try { return atob(s); } catch (e) { return describeError(e); } };
      let err;
      try { atob('*'); } catch (e) { err = [e instanceof DOMException, e.name, e.code]; }
      return {
        ok: ['YQ==', 'YQ', ' Y Q = = ', '\\tYW\\nJj\\f\\r', 'YR==', '', '//4=', 'AA=='].map(dec),
        bad: ['YQ=', 'Y', 'YQ===', '*', 'YQ==YQ==', 'Y\\u00a0Q', '=YQ', 'YQ\\u000b'].map(dec),
        err, nullInput: dec(null), undefinedInput: dec(undefined),
      };
    `);
    assert.deepEqual(r.ok, ['a', 'a', 'a', 'abc', 'a', '', '\xff\xfe', '\0']);
    assert.deepEqual(r.bad, Array(8).fill('DOMException:InvalidCharacterError'));
    assert.deepEqual(r.err, [true, 'InvalidCharacterError', 5]);
    assert.equal(r.nullInput, '\x9e\xe9e');
    assert.equal(r.undefinedInput, 'DOMException:InvalidCharacterError');
  });
});
