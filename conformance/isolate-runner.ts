// The worker module that runs the conformance data inside an isolate: one POST per area, the area's
// JSON as the body, answered with { total, failures }. Each area mirrors the WPT file named beside it.
export const ISOLATE_RUNNER = String.raw`
const COMPONENTS = ['href', 'origin', 'protocol', 'username', 'password', 'host', 'hostname', 'port', 'pathname', 'search', 'hash'];
const errorName = (e) => (e && e.name) || String(e);
const pick = (url, keys) => Object.fromEntries(keys.map((k) => [k, url[k]]));

// url-constructor.any.js: throws a TypeError iff failure, otherwise every listed component (and
// searchParams) equal; url-statics-canparse.any.js and url-statics-parse.any.js: URL.canParse and
// URL.parse agree with the constructor.
function parsing(cases) {
  const failures = [];
  let total = 0;
  for (const c of cases) {
    if (typeof c === 'string') continue;
    total++;
    const input = c.base === null || c.base === undefined ? { input: c.input } : { input: c.input, base: c.base };
    checkParsing(c, input, failures);
  }
  return { total, failures };
}

// One entry per failing case, however many of its checks failed, so pass rates count cases.
function checkParsing(c, input, failures) {
  const found = [];
  checkParsingInto(c, input, found);
  if (found.length === 1) failures.push(found[0]);
  else if (found.length > 1) failures.push({ input, expected: found.map((f) => f.expected), actual: found.map((f) => f.actual) });
}

function checkParsingInto(c, input, failures) {
  const canParse = URL.canParse(c.input, input.base);
  if (canParse !== !c.failure) failures.push({ input, expected: 'URL.canParse ' + !c.failure, actual: canParse });
  const parsed = URL.parse(c.input, input.base);
  if ((parsed === null) !== Boolean(c.failure) || (parsed !== null && !c.failure && parsed.href !== c.href)) {
    failures.push({ input, expected: 'URL.parse ' + (c.failure ? 'null' : c.href), actual: parsed === null ? null : parsed.href });
  }
  let url;
  try { url = new URL(c.input, input.base); } catch (e) {
    if (!c.failure) failures.push({ input, expected: pick(c, COMPONENTS.filter((k) => k in c)), actual: 'threw ' + errorName(e) });
    else if (!(e instanceof TypeError)) failures.push({ input, expected: 'TypeError', actual: 'threw ' + errorName(e) });
    return;
  }
  if (c.failure) { failures.push({ input, expected: 'TypeError', actual: url.href }); return; }
  const wrong = COMPONENTS.filter((k) => k in c && url[k] !== c[k]);
  if (wrong.length > 0) failures.push({ input, expected: pick(c, wrong), actual: pick(url, wrong) });
  if ('searchParams' in c && url.searchParams.toString() !== c.searchParams) {
    failures.push({ input, expected: { searchParams: c.searchParams }, actual: { searchParams: url.searchParams.toString() } });
  }
}

// url-setters.any.js: new URL(href), assign new_value, then every key of expected equal.
function setters(sections) {
  const failures = [];
  let total = 0;
  for (const setter of Object.keys(sections)) {
    if (setter === 'comment') continue;
    for (const c of sections[setter]) {
      total++;
      const input = { href: c.href, setter, new_value: c.new_value };
      try {
        const url = new URL(c.href);
        url[setter] = c.new_value;
        const wrong = Object.keys(c.expected).filter((k) => url[k] !== c.expected[k]);
        if (wrong.length > 0) failures.push({ input, expected: pick(c.expected, wrong), actual: pick(url, wrong) });
      } catch (e) { failures.push({ input, expected: c.expected, actual: 'threw ' + errorName(e) }); }
    }
  }
  return { total, failures };
}

// toascii.window.js and IdnaTestV2.window.js: the input as the host of https://<input>/x.
function hostCheck(input, host, output) {
  const href = 'https://' + host + '/x';
  if (output === null) {
    try { const url = new URL(href); return { input, expected: 'TypeError', actual: url.hostname }; } catch (e) {
      return e instanceof TypeError ? null : { input, expected: 'TypeError', actual: 'threw ' + errorName(e) };
    }
  }
  let url;
  try { url = new URL(href); } catch (e) { return { input, expected: output, actual: 'threw ' + errorName(e) }; }
  const want = { host: output, hostname: output, pathname: '/x', href: 'https://' + output + '/x' };
  const wrong = Object.keys(want).filter((k) => url[k] !== want[k]);
  return wrong.length === 0 ? null : { input, expected: pick(want, wrong), actual: pick(url, wrong) };
}

function toascii(cases) {
  const failures = [];
  let total = 0;
  for (const c of cases) {
    if (typeof c === 'string') continue;
    total++;
    const failure = hostCheck(c.input, c.input, c.output === undefined ? c.input : c.output);
    if (failure !== null) failures.push(failure);
  }
  return { total, failures };
}

// Host-ending code points are percent-encoded so that they reach the host parser.
const encodeHostEnding = (s) => Array.from(s, (cp) => (':/?#\\'.includes(cp) ? encodeURIComponent(cp) : cp)).join('');

function idna(cases) {
  const failures = [];
  let total = 0;
  for (const c of cases) {
    if (typeof c === 'string' || c.input === '') continue;
    total++;
    const failure = hostCheck(c.input, encodeHostEnding(c.input), c.output);
    if (failure !== null) failures.push({ ...failure, ...(c.comment ? { comment: c.comment } : {}) });
  }
  return { total, failures };
}

// percent-encoding.window.js, UTF-8 only: the input as query and fragment of a special URL; also the
// query of a non-special URL, whose query set differs from the special one in "'" alone.
function percentEncoding(cases) {
  const failures = [];
  let total = 0;
  for (const c of cases) {
    if (typeof c === 'string') continue;
    const out = c.output['utf-8'];
    for (const [scheme, query] of [['https', out], ['foo', out.replace(/%27/g, "'")]]) {
      total++;
      const input = scheme + '://doesnotmatter.invalid/?' + c.input + '#' + c.input;
      const want = { search: '?' + query, hash: '#' + out };
      try {
        const url = new URL(input);
        const wrong = Object.keys(want).filter((k) => url[k] !== want[k]);
        if (wrong.length > 0) failures.push({ input, expected: pick(want, wrong), actual: pick(url, wrong) });
      } catch (e) { failures.push({ input, expected: want, actual: 'threw ' + errorName(e) }); }
    }
  }
  return { total, failures };
}

// textdecoder-labels.any.js: each label, as given, upper-cased and padded with ASCII whitespace, names
// its encoding; "replacement" labels throw a RangeError.
function labels(groups) {
  const failures = [];
  let total = 0;
  for (const group of groups) for (const { name, labels } of group.encodings) for (const label of labels) {
    total++;
    const expected = name === 'replacement' ? 'RangeError' : name.toLowerCase();
    for (const variant of [label, label.toUpperCase(), '\t\n\f\r ' + label + ' \t\n\f\r']) {
      let actual;
      try { actual = new TextDecoder(variant).encoding; } catch (e) { actual = errorName(e); }
      if (actual !== expected) { failures.push({ input: variant, expected, actual }); break; }
    }
  }
  return { total, failures };
}

const AREAS = { parsing, setters, toascii, idna, percentEncoding, labels };

export default {
  async fetch(request) {
    const area = AREAS[new URL(request.url).pathname.slice(1)];
    if (area === undefined) return new Response('unknown area', { status: 404 });
    return Response.json(area(await request.json()));
  },
};`;
