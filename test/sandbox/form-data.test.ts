// FormData (https://xhr.spec.whatwg.org/#interface-formdata), File (https://w3c.github.io/FileAPI/)
// and FormData bodies both ways (Fetch's extract and formData(), HTML's multipart/form-data encoding)
// inside real isolates, and across real HTTP with Node's fetch on the other end.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { startWorker } from '../helpers/worker-server.js';
import { inIsolate } from './harness.js';

describe('File', () => {
  test('extends Blob with a name and lastModified', async () => {
    const r = await inIsolate(`
      const f = new File(['ab', new Uint8Array([99])], 'a.txt', { type: 'Text/Plain', lastModified: 42 });
      const now = Date.now();
      const g = new File([], 'g');
      return { f: [f.name, f.size, f.type, f.lastModified, await f.text(), f instanceof Blob, f.webkitRelativePath],
        defaultTime: Math.abs(g.lastModified - now) < 5000, slice: [f.slice(1) instanceof File, f.slice(1) instanceof Blob, await f.slice(1).text()],
        tag: Object.prototype.toString.call(f), missing: thrown(() => new File(['x'])), nameString: new File([], 12).name };
    `);
    assert.deepEqual(r, {
      f: ['a.txt', 3, 'text/plain', 42, 'abc', true, ''], defaultTime: true, slice: [false, true, 'bc'],
      tag: '[object File]', missing: 'TypeError', nameString: '12',
    });
  });
});

describe('FormData', () => {
  test('append, get, getAll, has, set, delete and iteration keep entry order', async () => {
    const r = await inIsolate(`
      const fd = new FormData();
      fd.append('a', '1');
      fd.append('b', 2);
      fd.append('a', '3');
      const before = [fd.get('a'), fd.getAll('a'), fd.has('b'), fd.has('zz'), fd.get('zz'), fd.getAll('zz')];
      fd.set('a', 'only');
      const afterSet = [...fd];
      fd.set('c', 'new');
      fd.delete('b');
      const seen = [];
      fd.forEach(function (value, key, parent) { seen.push([key, value, parent === fd, this.tag]); }, { tag: 't' });
      return { before, afterSet, entries: [...fd.entries()], keys: [...fd.keys()], values: [...fd.values()], seen,
        iterator: FormData.prototype[Symbol.iterator] === FormData.prototype.entries, tag: Object.prototype.toString.call(fd),
        errors: [thrown(() => fd.append('x')), thrown(() => fd.get()), thrown(() => new FormData({})), thrown(() => fd.append('x', 'string', 'name.txt'))],
        fromUndefined: thrown(() => new FormData(undefined)) };
    `);
    assert.deepEqual(r, {
      before: ['1', ['1', '3'], true, false, null, []],
      afterSet: [['a', 'only'], ['b', '2']],
      entries: [['a', 'only'], ['c', 'new']], keys: ['a', 'c'], values: ['only', 'new'],
      seen: [['a', 'only', true, 't'], ['c', 'new', true, 't']],
      iterator: true, tag: '[object FormData]',
      errors: ['TypeError', 'TypeError', 'TypeError', 'TypeError'], fromUndefined: 'no error',
    });
  });

  test('Blob values become Files: named "blob", or by the filename argument', async () => {
    const r = await inIsolate(`
      const fd = new FormData();
      const blob = new Blob(['data'], { type: 'text/csv' });
      const file = new File(['x'], 'orig.bin', { lastModified: 7 });
      fd.append('blob', blob);
      fd.append('named', blob, 'n.csv');
      fd.append('file', file);
      fd.append('renamed', file, 'new.bin');
      const describe = (v) => [v.constructor.name, v.name, v.type, v.size];
      return { blob: describe(fd.get('blob')), named: describe(fd.get('named')), file: fd.get('file') === file,
        renamed: [...describe(fd.get('renamed')), fd.get('renamed').lastModified, fd.get('renamed') === file] };
    `);
    assert.deepEqual(r, {
      blob: ['File', 'blob', 'text/csv', 4], named: ['File', 'n.csv', 'text/csv', 4], file: true,
      renamed: ['File', 'new.bin', '', 1, 7, false],
    });
  });
});

describe('FormData bodies', () => {
  test('round trip through new Response(formData).formData(), with files, Unicode, quotes and newlines', async () => {
    const r = await inIsolate(`
      const fd = new FormData();
      fd.append('text', 'héllo wörld ✓');
      fd.append('quote"d\\nname', 'line1\\nline2\\rline3\\r\\nend');
      fd.append('file', new File([new Uint8Array([0, 255, 13, 10, 45, 45])], 'bin "x".dat', { type: 'application/x-thing' }));
      fd.append('empty', new Blob([]));
      fd.append('text', 'second');
      const response = new Response(fd);
      const contentType = response.headers.get('content-type');
      const parsed = await response.clone().formData();
      const raw = await response.text();
      const boundary = contentType.split('boundary=')[1];
      const file = parsed.get('file');
      return {
        contentType: contentType.startsWith('multipart/form-data; boundary='), boundaryInBody: raw.startsWith('--' + boundary + '\\r\\n') && raw.endsWith('--' + boundary + '--\\r\\n'),
        keys: [...parsed.keys()], texts: parsed.getAll('text'),
        normalized: parsed.get('quote"d\\r\\nname'),
        escapedName: raw.includes('name="quote%22d%0D%0Aname"'), escapedFilename: raw.includes('filename="bin %22x%22.dat"'),
        file: [file instanceof File, file.name, file.type, Array.from(new Uint8Array(await file.arrayBuffer()))],
        empty: [parsed.get('empty').name, parsed.get('empty').size, parsed.get('empty').type, raw.includes('Content-Type: application/octet-stream')],
      };
    `);
    assert.deepEqual(r, {
      contentType: true, boundaryInBody: true,
      keys: ['text', 'quote"d\r\nname', 'file', 'empty', 'text'], texts: ['héllo wörld ✓', 'second'],
      normalized: 'line1\r\nline2\r\nline3\r\nend', escapedName: true, escapedFilename: true,
      file: [true, 'bin "x".dat', 'application/x-thing', [0, 255, 13, 10, 45, 45]],
      empty: ['blob', 0, 'application/octet-stream', true],
    });
  });

  test('a Request body: the content type is set unless given, and the body parses back', async () => {
    const r = await inIsolate(`
      const fd = new FormData();
      fd.append('k', 'v');
      const req = new Request('https://example.com/', { method: 'POST', body: fd });
      const parsed = await req.formData();
      const own = new Request('https://example.com/', { method: 'POST', body: fd, headers: { 'content-type': 'text/plain' } });
      return { type: req.headers.get('content-type').split(';')[0], value: parsed.get('k'), used: req.bodyUsed,
        again: await rejected(() => req.formData()), ownType: own.headers.get('content-type'), notForm: await rejected(() => own.formData()) };
    `);
    assert.deepEqual(r, { type: 'multipart/form-data', value: 'v', used: true, again: 'TypeError', ownType: 'text/plain', notForm: 'TypeError' });
  });

  test('application/x-www-form-urlencoded bodies parse with the URL Standard parser', async () => {
    const r = await inIsolate(`
      const form = (body, type = 'application/x-www-form-urlencoded') => new Response(body, { headers: { 'content-type': type } }).formData();
      const a = await form('a=1&b=%20x+y&a=2&c&=empty&%E2%9C%93=check');
      const params = await new Response(new URLSearchParams({ q: 'a&b', r: 'ü' })).formData();
      const charset = await form('x=1', 'Application/X-WWW-Form-Urlencoded; charset=UTF-8');
      const empty = await form('');
      return { a: [...a], params: [...params], charset: charset.get('x'), empty: [...empty].length };
    `);
    assert.deepEqual(r, {
      a: [['a', '1'], ['b', ' x y'], ['a', '2'], ['c', ''], ['', 'empty'], ['✓', 'check']],
      params: [['q', 'a&b'], ['r', 'ü']], charset: '1', empty: 0,
    });
  });

  test('hand-written multipart: preamble, epilogue, quoted boundary, header case; malformed bodies are TypeErrors', async () => {
    const r = await inIsolate(`
      const body = 'preamble to ignore\\r\\n--XyZ\\r\\ncontent-disposition: Form-Data; name="a"\\r\\n\\r\\none\\r\\n' +
        '--XyZ  \\r\\nContent-Disposition: form-data; filename="f.txt"; name="f"\\r\\nContent-Type: text/plain\\r\\n\\r\\nfile body\\r\\n' +
        '--XyZ\\r\\nContent-Disposition: form-data; name="b"\\r\\n\\r\\n\\r\\n--XyZ--\\r\\nepilogue';
      const parse = (text, type) => new Response(text, { headers: { 'content-type': type } }).formData();
      const fd = await parse(body, 'multipart/form-data; boundary="XyZ"');
      const f = fd.get('f');
      return {
        entries: [fd.get('a'), f.name, f.type, await f.text(), fd.get('b')],
        noBoundary: await rejected(() => parse(body, 'multipart/form-data')),
        wrongBoundary: await rejected(() => parse(body, 'multipart/form-data; boundary=other')),
        truncated: await rejected(() => parse('--XyZ\\r\\nContent-Disposition: form-data; name="a"\\r\\n\\r\\nno end', 'multipart/form-data; boundary=XyZ')),
        noName: await rejected(() => parse('--XyZ\\r\\nContent-Disposition: form-data\\r\\n\\r\\nx\\r\\n--XyZ--', 'multipart/form-data; boundary=XyZ')),
        noType: await rejected(() => new Response('a=1').formData()),
        json: await rejected(() => parse('{}', 'application/json')),
      };
    `);
    assert.deepEqual(r, {
      entries: ['one', 'f.txt', 'text/plain', 'file body', ''],
      noBoundary: 'TypeError', wrongBoundary: 'TypeError', truncated: 'TypeError', noName: 'TypeError', noType: 'TypeError', json: 'TypeError',
    });
  });

  test('over real HTTP: the worker parses a FormData POST from Node fetch and answers with FormData Node can parse', async () => {
    const server = await startWorker(`export default { async fetch(request) {
      const form = await request.formData();
      const described = [];
      for (const [name, value] of form) {
        described.push(typeof value === 'string' ? [name, value] : [name, value.name, value.type, value.size, Array.from(new Uint8Array(await value.arrayBuffer())).slice(0, 4)]);
      }
      const out = new FormData();
      out.append('described', JSON.stringify(described));
      out.append('echo', form.get('upload'), 'echo.bin');
      return new Response(out);
    } }`);
    try {
      const form = new FormData();
      form.append('title', 'Grüße, "world"');
      form.append('upload', new File([new Uint8Array([1, 2, 3, 250, 13, 10])], 'data.bin', { type: 'application/octet-stream' }));
      form.append('title', 'second');
      const response = await server.fetch('/', { method: 'POST', body: form });
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /^multipart\/form-data; boundary=/);
      const answer = await response.formData();
      assert.deepEqual(JSON.parse(String(answer.get('described'))), [
        ['title', 'Grüße, "world"'],
        ['upload', 'data.bin', 'application/octet-stream', 6, [1, 2, 3, 250]],
        ['title', 'second'],
      ]);
      const echo = answer.get('echo') as File;
      assert.equal(echo.name, 'echo.bin');
      assert.deepEqual([...new Uint8Array(await echo.arrayBuffer())], [1, 2, 3, 250, 13, 10]);
    } finally {
      await server.close();
    }
  });
});
