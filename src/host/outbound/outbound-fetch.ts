// Tenant subrequests, made by the host with undici's fetch over an agent that enforces the egress
// policy (egress-agent.ts). `routes` sends requests for a hostname to another origin, so development
// and tests can point a worker's subrequests at a local server (`islet dev --outbound HOST=URL`);
// the operator named those origins, so the policy lets them through.
import { fetch, type Agent } from 'undici';
import { ErrorKind, HEADER_SEPARATOR, type HostReply } from '../../shared/boundary.js';
import { fail, ok, typeError } from '../isolates/host-ops/reply.js';
import { EgressBlockedError, createEgressAgent, type Resolver } from './egress-agent.js';
import { EgressPolicy } from './egress-policy.js';
import { VIA_HEADER } from './loop-limit.js';
import { asTenantSent } from './subrequest-headers.js';

// Hop-by-hop and length headers are the transport's business, not the tenant's; the loop counter is
// the host's, so a tenant cannot reset it.
const DROPPED_REQUEST_HEADERS = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'host', 'upgrade', VIA_HEADER]);
const MAX_RESPONSE_BYTES = 100 * 1024 * 1024;
const REDIRECT_MODES = new Set(['follow', 'manual', 'error']);

export interface OutboundOptions {
  /** hostname (or host:port) -> origin to send it to instead, e.g. "api.example.com" -> "http://127.0.0.1:9000" */
  routes?: ReadonlyMap<string, string>;
  timeoutMs?: number;
  egress?: EgressOptions;
}

export interface EgressOptions {
  /** CIDRs and hostnames reachable beyond the public Internet, e.g. `10.0.0.0/8`, `api.internal`. */
  allow?: readonly string[];
  /** How hostnames are resolved (default: the system resolver). */
  resolve?: Resolver;
}

export function encodeHeaders(headers: Iterable<[string, string]>): string {
  const lines: string[] = [];
  for (const [name, value] of headers) lines.push(`${name}:${value}`);
  return lines.join(HEADER_SEPARATOR);
}

export function decodeHeaders(encoded: string): [string, string][] {
  if (encoded === '') return [];
  const out: [string, string][] = [];
  for (const line of encoded.split(HEADER_SEPARATOR)) {
    const colon = line.indexOf(':');
    if (colon > 0) out.push([line.slice(0, colon), line.slice(colon + 1)]);
  }
  return out;
}

export class Outbound {
  readonly #routes: ReadonlyMap<string, string>;
  readonly #timeoutMs: number;
  readonly #agent: Agent;

  /** Throws EgressConfigError when an allow entry is neither a CIDR nor a hostname. */
  constructor(options: OutboundOptions = {}) {
    this.#routes = options.routes ?? new Map();
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#agent = createEgressAgent({
      policy: new EgressPolicy(options.egress?.allow ?? []),
      isRouted: (protocol, hostname, port) => this.#isRouteTarget(protocol, hostname, port),
      ...(options.egress?.resolve !== undefined ? { resolve: options.egress.resolve } : {}),
    });
  }

  // Read on every new connection, not at construction: `islet start` adds routes once it listens.
  #isRouteTarget(protocol: string, hostname: string, port: string): boolean {
    for (const target of this.#routes.values()) {
      const url = URL.parse(target);
      if (url !== null && url.protocol === protocol && url.port === port && url.hostname.replace(/^\[(.*)\]$/, '$1') === hostname) return true;
    }
    return false;
  }

  #route(url: URL): URL {
    const target = this.#routes.get(url.host) ?? this.#routes.get(url.hostname);
    if (target === undefined) return url;
    // The target's path is a prefix: HOST=http://127.0.0.1:8787/monitoring sends /alerts to /monitoring/alerts.
    const base = new URL(target);
    return new URL(base.pathname.replace(/\/$/, '') + url.pathname + url.search, base.origin);
  }

  /**
   * (method, url, headers, body, redirect) as the runtime sends them; every value is checked here.
   * `hops`: worker invocations in the chain that led to this one (see loop-limit.ts).
   */
  async fetch(args: unknown[], hops = 0): Promise<HostReply> {
    const [method, url, headers, body, redirect] = args;
    if (typeof method !== 'string' || typeof url !== 'string' || typeof headers !== 'string') return typeError('invalid fetch arguments');
    if (body !== null && typeof body !== 'string' && !(body instanceof ArrayBuffer)) return typeError('invalid fetch body');
    if (typeof redirect !== 'string' || !REDIRECT_MODES.has(redirect)) return typeError('invalid redirect mode');
    const parsed = URL.parse(url);
    if (parsed === null) return typeError(`Invalid URL: ${url}`);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return typeError(`Fetch API cannot load: ${url}`);
    const target = this.#route(parsed);
    const tenant = decodeHeaders(headers).filter(([name]) => !DROPPED_REQUEST_HEADERS.has(name.toLowerCase()));
    try {
      const response = await fetch(target, {
        method, headers: [...tenant, [VIA_HEADER, String(hops + 1)]], body: body === null ? null : body,
        redirect: redirect as 'follow' | 'manual' | 'error', signal: AbortSignal.timeout(this.#timeoutMs),
        dispatcher: asTenantSent(this.#agent, tenant),
      });
      const buffer = await response.arrayBuffer();
      if (buffer.byteLength > MAX_RESPONSE_BYTES) return fail(ErrorKind.RangeError, 'Subrequest response body is too large.');
      return ok([response.status, response.statusText, encodeHeaders(response.headers), buffer, target === parsed ? response.url : url, response.redirected]);
    } catch (err) {
      const reason = (err as { cause?: unknown }).cause;
      if (reason instanceof EgressBlockedError) return typeError(reason.message);
      const cause = (reason as { code?: string } | undefined)?.code;
      if ((err as Error).name === 'TimeoutError') return fail(ErrorKind.Error, 'The subrequest timed out.');
      return typeError(`Network connection lost.${cause === undefined ? '' : ` (${cause})`}`);
    }
  }

  /** Closes idle connections; subrequests still in flight fail. */
  close(): Promise<void> {
    return this.#agent.destroy();
  }
}
