// Headers the OTLP exporter sends with every POST: what a hosted collector needs to accept spans
// (an API key, an Authorization). They come from the OpenTelemetry SDKs' variables and from the serve
// config. Values are credentials: errors name the header, never its value.
// @see https://opentelemetry.io/docs/specs/otel/protocol/exporter/#specifying-headers-via-environment-variables

/** A header list that cannot be used; the message names where it came from and the header, not its value. */
export class OtlpHeaderError extends Error {}

/**
 * Header name -> value; names lower-cased, so a later source replaces an earlier one's entry whatever
 * its case. Built without a prototype: a header may be called `__proto__`.
 */
export type OtlpHeaders = Record<string, string>;

// RFC 9110 5.1: a field name is a token.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Printable ASCII, spaces and tabs inside: fetch sends header values as bytes, and a value that is
// not ASCII would reach the collector as something other than what was configured.
const VALUE = /^[\x21-\x7e](?:[\x20-\x7e\t]*[\x21-\x7e])?$/;
// The exporter frames the request itself; one of these from configuration would corrupt or misroute it.
const RESERVED = new Set(['content-type', 'content-length', 'transfer-encoding', 'host', 'connection']);

/** `entry` is 1-based: it names the entry instead of a name that is not one (which may be a misplaced secret). */
const badName = (where: string, entry: number) => new OtlpHeaderError(`${where}: entry ${entry} has no valid header name`);

function checked(where: string, entry: number, name: string, value: string): [string, string] {
  if (!TOKEN.test(name)) throw badName(where, entry);
  const lower = name.toLowerCase();
  if (RESERVED.has(lower)) throw new OtlpHeaderError(`${where}: the header "${lower}" is set by the exporter and cannot be configured`);
  if (!VALUE.test(value)) {
    throw new OtlpHeaderError(`${where}: the value of header "${lower}" must be non-empty printable ASCII (percent-encode other bytes in the variables)`);
  }
  return [lower, value];
}

/**
 * `key=value,key2=value2` as the SDKs' variables carry it (the W3C Baggage list format without
 * properties): whitespace around members, keys and values is ignored, values are percent-decoded,
 * and empty members are skipped. Throws OtlpHeaderError for an entry that is not a usable header.
 */
export function parseOtlpHeaderList(where: string, list: string): OtlpHeaders {
  const headers: OtlpHeaders = Object.create(null) as OtlpHeaders;
  const members = list.split(',');
  for (let i = 0; i < members.length; i++) {
    const member = members[i]!;
    if (member.trim() === '') continue;
    const eq = member.indexOf('=');
    if (eq < 0) throw new OtlpHeaderError(`${where}: entry ${i + 1} has no "=" (the format is key=value,key2=value2)`);
    const name = member.slice(0, eq).trim();
    let value: string;
    try {
      value = decodeURIComponent(member.slice(eq + 1).trim());
    } catch {
      if (!TOKEN.test(name)) throw badName(where, i + 1);
      throw new OtlpHeaderError(`${where}: the value of header "${name.toLowerCase()}" has a malformed percent-encoding`);
    }
    const [lower, text] = checked(where, i + 1, name, value);
    headers[lower] = text;
  }
  return headers;
}

/** The serve config's `otlp_headers` table: values are used as written (no percent-decoding). */
export function parseOtlpHeaderTable(where: string, table: Readonly<Record<string, unknown>>): OtlpHeaders {
  const headers: OtlpHeaders = Object.create(null) as OtlpHeaders;
  let entry = 0;
  for (const [name, value] of Object.entries(table)) {
    entry++;
    if (!TOKEN.test(name)) throw badName(where, entry);
    if (typeof value !== 'string') throw new OtlpHeaderError(`${where}: the value of header "${name.toLowerCase()}" must be a string`);
    const [lower, text] = checked(where, entry, name, value);
    headers[lower] = text;
  }
  return headers;
}

/**
 * OTEL_EXPORTER_OTLP_HEADERS, then OTEL_EXPORTER_OTLP_TRACES_HEADERS over it key by key: the
 * signal-specific variable wins where both name a header.
 */
export function otlpHeadersFromEnv(env: NodeJS.ProcessEnv): OtlpHeaders {
  const general = env.OTEL_EXPORTER_OTLP_HEADERS;
  const traces = env.OTEL_EXPORTER_OTLP_TRACES_HEADERS;
  return {
    ...(general === undefined ? {} : parseOtlpHeaderList('OTEL_EXPORTER_OTLP_HEADERS', general)),
    ...(traces === undefined ? {} : parseOtlpHeaderList('OTEL_EXPORTER_OTLP_TRACES_HEADERS', traces)),
  };
}
