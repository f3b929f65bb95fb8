// Which addresses a tenant's subrequest may reach. A multi-tenant host sits inside someone's network:
// without this, any worker could talk to the host's loopback services, the cloud metadata endpoint
// or the private network behind it. Everything is compared as a 128-bit number, IPv4 as its
// IPv4-mapped IPv6 form, so `::ffff:127.0.0.1` and `127.0.0.1` meet the same rules.
import { isIP } from 'node:net';

export type AddressClass = 'public' | 'loopback' | 'private' | 'link-local' | 'unspecified' | 'shared' | 'multicast' | 'broadcast' | 'reserved';

interface Range { base: bigint; bits: number }

const MAPPED = 0xffffn << 32n;
const ALL_ONES = (1n << 128n) - 1n;

function ipv4ToNumber(text: string): number {
  return text.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

/** An IP address (no brackets; a zone suffix is ignored) as a 128-bit number, or null if it is none. */
export function addressToBigInt(text: string): bigint | null {
  const address = text.split('%')[0]!;
  const version = isIP(address);
  if (version === 4) return MAPPED | BigInt(ipv4ToNumber(address));
  if (version !== 6) return null;
  let v6 = address.toLowerCase();
  const lastColon = v6.lastIndexOf(':');
  if (v6.includes('.', lastColon)) {
    const v4 = ipv4ToNumber(v6.slice(lastColon + 1));
    v6 = `${v6.slice(0, lastColon + 1)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const [head, tail] = v6.includes('::') ? v6.split('::') as [string, string] : [v6, null];
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === null || tail === '' ? [] : tail.split(':');
  const groups = [...headGroups, ...new Array<string>(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  return groups.reduce((n, group) => (n << 16n) | BigInt(parseInt(group, 16)), 0n);
}

function inRange(value: bigint, { base, bits }: Range): boolean {
  const shift = BigInt(128 - bits);
  return value >> shift === base >> shift;
}

export class EgressConfigError extends Error {
  readonly code = 'ERR_EGRESS_CONFIG';
}

function parseCidr(entry: string): Range {
  const [rawAddress, rawBits, ...rest] = entry.split('/') as [string, string | undefined];
  const address = rawAddress.replace(/^\[(.*)\]$/, '$1');
  const version = isIP(address);
  const max = version === 4 ? 32 : 128;
  const bits = rawBits === undefined ? max : /^\d{1,3}$/.test(rawBits) ? Number(rawBits) : NaN;
  if (version === 0 || rest.length > 0 || !(bits <= max)) {
    throw new EgressConfigError(`egress allow entry "${entry}" is not a valid CIDR (e.g. 10.0.0.0/8 or fd00::/8)`);
  }
  const prefix = bits + (version === 4 ? 96 : 0);
  const mask = prefix === 0 ? 0n : (ALL_ONES >> BigInt(128 - prefix)) << BigInt(128 - prefix);
  return { base: addressToBigInt(address)! & mask, bits: prefix };
}

// First match wins, so the narrow IPv4 ranges come before the blocks that contain them.
const V4_CLASSES: [AddressClass, Range][] = ([
  ['broadcast', '255.255.255.255/32'],
  ['unspecified', '0.0.0.0/8'],
  ['loopback', '127.0.0.0/8'],
  ['private', '10.0.0.0/8'], ['private', '172.16.0.0/12'], ['private', '192.168.0.0/16'],
  ['link-local', '169.254.0.0/16'],
  ['shared', '100.64.0.0/10'],
  ['multicast', '224.0.0.0/4'],
  ['reserved', '192.0.0.0/24'], ['reserved', '192.0.2.0/24'], ['reserved', '198.18.0.0/15'],
  ['reserved', '198.51.100.0/24'], ['reserved', '203.0.113.0/24'], ['reserved', '240.0.0.0/4'],
] as const).map(([kind, cidr]) => [kind, parseCidr(cidr)]);

const V6_CLASSES: [AddressClass, Range][] = ([
  ['unspecified', '::/128'],
  ['loopback', '::1/128'],
  ['private', 'fc00::/7'], ['private', 'fec0::/10'], ['private', '64:ff9b:1::/48'],
  ['link-local', 'fe80::/10'],
  ['multicast', 'ff00::/8'],
  ['reserved', '2001:db8::/32'],
] as const).map(([kind, cidr]) => [kind, parseCidr(cidr)]);

const MAPPED_V4 = parseCidr('::ffff:0:0/96');
const NAT64 = parseCidr('64:ff9b::/96');
const SIX_TO_FOUR = parseCidr('2002::/16');
const GLOBAL_UNICAST = parseCidr('2000::/3');

function classifyV4(v4: bigint): AddressClass {
  const value = MAPPED | v4;
  return V4_CLASSES.find(([, r]) => inRange(value, r))?.[0] ?? 'public';
}

function classify(value: bigint): AddressClass {
  if (inRange(value, MAPPED_V4)) return classifyV4(value & 0xffffffffn);
  // Translation prefixes carry an IPv4 address: judged by what they lead to.
  if (inRange(value, NAT64)) return classifyV4(value & 0xffffffffn);
  if (inRange(value, SIX_TO_FOUR)) return classifyV4((value >> 80n) & 0xffffffffn);
  const known = V6_CLASSES.find(([, r]) => inRange(value, r))?.[0];
  if (known !== undefined) return known;
  // Outside 2000::/3 nothing is routed on the Internet.
  return inRange(value, GLOBAL_UNICAST) ? 'public' : 'reserved';
}

/** What kind of address `address` is (IPv4 or IPv6 text, without brackets), or null if it is not one. */
export function classifyAddress(address: string): AddressClass | null {
  const value = addressToBigInt(address);
  return value === null ? null : classify(value);
}

interface HostRule { name: string; subdomains: boolean }

function parseHost(entry: string): HostRule | Range {
  const subdomains = entry.startsWith('*.');
  const name = subdomains ? entry.slice(2) : entry;
  // The URL parser gives the name as a subrequest's URL will carry it (lower case, punycode, IPv4 forms canonical).
  const url = /[/:?#@\\\s]/.test(name) || name === '' ? null : URL.parse(`http://${name}/`);
  if (url === null || url.hostname === '') {
    throw new EgressConfigError(`egress allow entry "${entry}" is neither a CIDR nor a hostname`);
  }
  if (isIP(url.hostname) !== 0) {
    if (subdomains) throw new EgressConfigError(`egress allow entry "${entry}": a wildcard needs a hostname`);
    return parseCidr(url.hostname);
  }
  return { name: url.hostname.replace(/\.$/, ''), subdomains };
}

/** The addresses and hostnames a policy opens beyond the public Internet. */
export class EgressPolicy {
  readonly #ranges: Range[] = [];
  readonly #hosts: HostRule[] = [];

  /** `allow`: CIDRs (`10.0.0.0/8`, `::1/128`), addresses, hostnames (`api.internal`) or `*.internal`. */
  constructor(allow: readonly string[] = []) {
    for (const raw of allow) {
      const entry = raw.trim();
      const rule = entry.includes('/') || isIP(entry.replace(/^\[(.*)\]$/, '$1')) !== 0 ? parseCidr(entry) : parseHost(entry.toLowerCase());
      if ('base' in rule) this.#ranges.push(rule);
      else this.#hosts.push(rule);
    }
  }

  /** Whether the allow list names this host (as a URL's hostname gives it); its addresses are then not checked. */
  allowsHost(hostname: string): boolean {
    const name = hostname.toLowerCase().replace(/\.$/, '');
    return this.#hosts.some((rule) => (rule.subdomains ? name.endsWith(`.${rule.name}`) : name === rule.name));
  }

  /** Why a connection to `address` is refused (its class), or null when it may be made. */
  refusal(address: string): Exclude<AddressClass, 'public'> | null {
    const value = addressToBigInt(address);
    if (value === null) return 'reserved';
    if (this.#ranges.some((r) => inRange(value, r))) return null;
    const kind = classify(value);
    return kind === 'public' ? null : kind;
  }
}

const DESCRIBED: Record<Exclude<AddressClass, 'public'>, string> = {
  loopback: 'a loopback address', private: 'a private network address', 'link-local': 'a link-local address',
  unspecified: 'an unspecified address', shared: 'a carrier-grade NAT address', multicast: 'a multicast address',
  broadcast: 'the broadcast address', reserved: 'a reserved address',
};

/**
 * The error a tenant sees. An address the tenant wrote is named with its class; a hostname is not
 * described further, so the message does not reveal where internal names resolve.
 */
export function blockedMessage(host: string, literal: Exclude<AddressClass, 'public'> | null): string {
  const shown = isIP(host) === 6 ? `[${host}]` : host;
  const why = literal === null ? 'it does not resolve to a public address' : `it is ${DESCRIBED[literal]}`;
  const entry = isIP(host) === 0 ? host : `${host}/${isIP(host) === 4 ? 32 : 128}`;
  return `Subrequest to ${shown} is blocked by the egress policy: ${why}. `
    + `To allow it, add ${entry} to the egress allow list (--allow-egress ${entry} for islet dev, egress_allow in islet serve's config).`;
}
