// Workers route patterns (`example.com/*`, `*.example.com/api/*`, `https://api.example.com/v1*`), read
// as Cloudflare documents them: an optional http:// or https:// scheme, a host that may begin with `*`,
// and a path that may end with `*`; no other wildcard and no query string.
// @see https://developers.cloudflare.com/workers/configuration/routing/routes/#validity
import { domainToASCII } from 'node:url';
import { ControlError } from './control-error.js';

export interface RoutePattern {
  /** The canonical spelling: what is stored, shown and compared to decide who owns a pattern. */
  text: string;
  /** Null matches both schemes. */
  scheme: 'http' | 'https' | null;
  /** A leading `*`: the host matches any host ending with `host` (so `*example.com` also matches `example.com`). */
  hostWildcard: boolean;
  /** Lower case, ASCII (IDNs in punycode), without the `*`; `.example.com` for `*.example.com`. */
  host: string;
  /** A trailing `*`: the path matches every request target starting with `path`, query string included. */
  pathWildcard: boolean;
  /** Starts with `/`; without the `*`. Case-sensitive, as Cloudflare matches paths. */
  path: string;
}

// Cloudflare states no length limit; a URL is at most 16 KB there, and no sane pattern comes near this.
const MAX_PATTERN_LENGTH = 2048;
const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//;
const LABEL = /^[a-z0-9_-]{1,63}$/;
const MAX_HOST_LENGTH = 253;

export function parseRoutePattern(input: string): RoutePattern {
  const fail = (problem: string): never => {
    throw new ControlError('invalid_request', `${JSON.stringify(input)} is not a valid route pattern: ${problem}`);
  };
  if (input.length === 0) fail('it is empty');
  if (input.length > MAX_PATTERN_LENGTH) fail(`it is longer than ${MAX_PATTERN_LENGTH} characters`);
  if (/[\s\x00-\x1f\x7f]/.test(input)) fail('it contains whitespace or control characters');

  let rest = input;
  let scheme: RoutePattern['scheme'] = null;
  const schemeMatch = SCHEME.exec(rest);
  if (schemeMatch !== null) {
    const name = (schemeMatch[1] ?? '').toLowerCase();
    if (name !== 'http' && name !== 'https') fail('only http:// or https:// may begin a route pattern');
    scheme = name as 'http' | 'https';
    rest = rest.slice(schemeMatch[0].length);
  }

  const slash = rest.indexOf('/');
  // As with a URL, a pattern without a path has the path `/`, and matches only that.
  const rawHost = slash === -1 ? rest : rest.slice(0, slash);
  const rawPath = slash === -1 ? '/' : rest.slice(slash);

  const hostWildcard = rawHost.startsWith('*');
  const host = parseHost(hostWildcard ? rawHost.slice(1) : rawHost, hostWildcard, fail);

  if (rawPath.includes('?') || rawPath.includes('#')) fail('route patterns may not contain a query string or fragment');
  const star = rawPath.indexOf('*');
  if (star !== -1 && star !== rawPath.length - 1) fail('a wildcard (*) is allowed only at the end of the path');
  const pathWildcard = star !== -1;
  // Request targets arrive percent-encoded; a pattern written with the characters themselves means the same.
  const path = (pathWildcard ? rawPath.slice(0, -1) : rawPath).replace(/[^\x00-\x7f]+/gu, (text) => encodeURIComponent(text));

  const text = `${scheme === null ? '' : `${scheme}://`}${hostWildcard ? '*' : ''}${host}${path}${pathWildcard ? '*' : ''}`;
  return { text, scheme, hostWildcard, host, pathWildcard, path };
}

function parseHost(raw: string, wildcard: boolean, fail: (problem: string) => never): string {
  if (raw === '') return fail(wildcard ? 'a wildcard host must name a domain, as in *.example.com or *example.com' : 'the host is missing');
  if (raw.includes('*')) return fail('a wildcard (*) is allowed only as the first character of the host');
  if (raw.includes(':')) return fail('route patterns may not contain a port or credentials');
  if (raw.includes('@')) return fail('route patterns may not contain credentials');
  // `*.example.com` keeps its dot: it matches subdomains only, while `*example.com` also matches the apex.
  const dotted = wildcard && raw.startsWith('.');
  let core = (dotted ? raw.slice(1) : raw).toLowerCase();
  // A trailing dot names the same host (fully qualified); request hosts are compared without it.
  if (core.endsWith('.')) core = core.slice(0, -1);
  if (/[^\x00-\x7f]/.test(core)) {
    const ascii = domainToASCII(core);
    if (ascii === '') return fail(`the host ${JSON.stringify(raw)} is not a valid domain name`);
    core = ascii;
  }
  const host = (dotted ? '.' : '') + core;
  if (host.length > MAX_HOST_LENGTH) return fail(`the host is longer than ${MAX_HOST_LENGTH} characters`);
  for (const label of core.split('.')) {
    if (!LABEL.test(label)) {
      return fail(label === ''
        ? 'the host has an empty label (two dots in a row, or a leading dot without *)'
        : `the host label ${JSON.stringify(label)} may contain only letters, digits, "-" and "_", at most 63 of them`);
    }
  }
  return host;
}
