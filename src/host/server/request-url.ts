// The URL a worker sees, built from the request target and the Host header. Both come from the client,
// so neither is pasted in as text: a Host of "a/b?" must not move the path, and "/a/../b" reaches the
// worker as "/b", as on Workers.
// @see https://www.rfc-editor.org/rfc/rfc9112#section-3.2 (request target) and #section-3.3 (reconstructing the target URI)

// uri-host [ ":" port ]: a reg-name or IPv4 address, or a bracketed IPv6 literal.
const HOST = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=%]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;
// Paths that need no normalising: no dot segments, no backslashes, nothing to percent-encode.
const PLAIN_PATH = /^\/(?:[A-Za-z0-9\-_~!$&'()*+,;=:@/?]|%[0-9A-Fa-f]{2}|\.(?![./?]|$))*$/;

/** The path and query of an absolute URL this module built. */
export function pathOf(url: string): string {
  return url.slice(url.indexOf('/', url.indexOf('//') + 2));
}

/** The host (and port) of an absolute URL this module built. */
export function hostOf(url: string): string {
  const start = url.indexOf('//') + 2;
  return url.slice(start, url.indexOf('/', start));
}

/** The absolute URL for a request, or null when the Host or the target is not one a client may send. */
export function requestUrl(host: string | undefined, target: string, scheme = 'http'): string | null {
  if (target.startsWith('/')) {
    if (host === undefined || !HOST.test(host)) return null;
    const port = host.lastIndexOf(':');
    if (port > host.lastIndexOf(']') && Number(host.slice(port + 1)) > 65535) return null;
    // The common case costs a regular expression, not a URL parse.
    if (PLAIN_PATH.test(target) && !target.includes('/.') && !/%2e/i.test(target)) return `${scheme}://${host}${target}`;
    return URL.parse(target, `${scheme}://${host}`)?.href ?? null;
  }
  // absolute-form (what a proxy is sent): its authority replaces the Host header.
  const absolute = URL.parse(target);
  if (absolute === null || (absolute.protocol !== 'http:' && absolute.protocol !== 'https:') || absolute.username !== '' || absolute.password !== '') return null;
  return absolute.href;
}
