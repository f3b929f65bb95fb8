// The URL Web Platform Tests data (test/fixtures/conformance, see PROVENANCE.md), every case run
// inside one real isolate against the runtime's own URL class.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { startWorker, type WorkerServer } from '../helpers/worker-server.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/conformance/${name}`, import.meta.url), 'utf8');

// Mirrors WPT's url-constructor.any.js, url-statics-canparse.any.js, url-statics-parse.any.js and
// url-setters.any.js.
const RUNNER = `
const COMPONENTS = ['href', 'origin', 'protocol', 'username', 'password', 'host', 'hostname', 'port', 'pathname', 'search', 'hash'];

function parsing(cases) {
  const failures = [];
  let total = 0;
  for (const c of cases) {
    if (typeof c === 'string') continue;
    total++;
    const base = c.base === null || c.base === undefined ? undefined : c.base;
    const problems = [];
    let url = null;
    try { url = new URL(c.input, base); } catch (e) {
      if (!c.failure) problems.push('threw ' + e.name);
      else if (!(e instanceof TypeError)) problems.push('threw ' + e.name + ', not TypeError');
    }
    if (c.failure && url !== null) problems.push('parsed as ' + url.href);
    if (!c.failure && url !== null) {
      for (const key of COMPONENTS) {
        if (key in c && url[key] !== c[key]) problems.push(key + ': ' + JSON.stringify(url[key]) + ' != ' + JSON.stringify(c[key]));
      }
      if ('searchParams' in c && url.searchParams.toString() !== c.searchParams) problems.push('searchParams: ' + url.searchParams.toString());
    }
    if (URL.canParse(c.input, base) !== !c.failure) problems.push('canParse disagrees');
    const parsed = URL.parse(c.input, base);
    if ((parsed === null) !== Boolean(c.failure) || (parsed !== null && !c.failure && parsed.href !== c.href)) problems.push('URL.parse disagrees');
    if (problems.length > 0) failures.push({ input: c.input, base: c.base, problems });
  }
  return { total, failures };
}

function setters(sections) {
  const failures = [];
  let total = 0;
  for (const attribute of Object.keys(sections)) {
    if (attribute === 'comment') continue;
    for (const c of sections[attribute]) {
      total++;
      const problems = [];
      try {
        const url = new URL(c.href);
        url[attribute] = c.new_value;
        for (const key of Object.keys(c.expected)) {
          if (url[key] !== c.expected[key]) problems.push(key + ': ' + JSON.stringify(url[key]) + ' != ' + JSON.stringify(c.expected[key]));
        }
      } catch (e) { problems.push('threw ' + e.name + ': ' + e.message); }
      if (problems.length > 0) failures.push({ href: c.href, set: attribute, to: c.new_value, problems });
    }
  }
  return { total, failures };
}

export default {
  async fetch(request) {
    const kind = new URL(request.url).pathname.slice(1);
    const data = await request.json();
    return Response.json(kind === 'setters' ? setters(data) : parsing(data));
  },
};`;

interface Outcome { total: number; failures: unknown[] }

describe('URL conformance (WPT data)', () => {
  let server: WorkerServer;
  before(async () => { server = await startWorker(RUNNER, { limits: { cpuMs: 10_000 } }); });
  after(async () => { await server.close(); });

  const run = async (kind: string, file: string): Promise<Outcome> => {
    const response = await server.fetch(`/${kind}`, { method: 'POST', body: fixture(file), headers: { 'content-type': 'application/json' } });
    const text = await response.text();
    assert.equal(response.status, 200, text + server.logs.lines.map((l) => l.message).join('\n'));
    return JSON.parse(text) as Outcome;
  };

  test('urltestdata.json: constructor, URL.canParse and URL.parse pass at least 99% of cases', async (t) => {
    const { total, failures } = await run('parsing', 'urltestdata.json');
    const rate = (total - failures.length) / total;
    t.diagnostic(`urltestdata.json: ${total - failures.length}/${total} passed (${(rate * 100).toFixed(2)}%)`);
    for (const failure of failures) t.diagnostic(`FAIL ${JSON.stringify(failure)}`);
    assert.ok(total > 800, `only ${total} cases ran`);
    assert.ok(rate >= 0.99, `pass rate ${(rate * 100).toFixed(2)}%; failures:\n${JSON.stringify(failures, null, 1)}`);
  });

  test('setters_tests.json: every setter case passes at least 99%', async (t) => {
    const { total, failures } = await run('setters', 'setters_tests.json');
    const rate = (total - failures.length) / total;
    t.diagnostic(`setters_tests.json: ${total - failures.length}/${total} passed (${(rate * 100).toFixed(2)}%)`);
    for (const failure of failures) t.diagnostic(`FAIL ${JSON.stringify(failure)}`);
    assert.ok(total > 250, `only ${total} cases ran`);
    assert.ok(rate >= 0.99, `pass rate ${(rate * 100).toFixed(2)}%; failures:\n${JSON.stringify(failures, null, 1)}`);
  });
});
