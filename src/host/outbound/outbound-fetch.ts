// Tenant subrequests, made by the host with undici's fetch over an agent that enforces the egress
// policy (egress-agent.ts). `routes` sends requests for a hostname to another origin, so development
// and tests can point a worker's subrequests at a local server (`islet dev --outbound HOST=URL`);
// the operator named those origins, so the policy lets them through. A subrequest resolves at its
// head; its body is left to the caller to read on demand (isolates/host-ops/subrequest-table.ts).
import { fetch, type Agent } from 'undici';
import { ErrorKind, HEADER_SEPARATOR, type HostReply } from '../../shared/boundary.js';
import { fail, typeError } from '../isolates/host-ops/reply.js';
import { EgressBlockedError, createEgressAgent, type Resolver } from './egress-agent.js';
import { EgressPolicy } from './egress-policy.js';
import { VIA_HEADER } from './loop-limit.js';
import { isW3cTraceId, traceparentFor } from '../observability/tracing/trace-context.js';
import { asTenantSent } from './subrequest-headers.js';

// Hop-by-hop and length headers are the transport's business, not the tenant's; the loop counter is
// the host's, so a tenant cannot reset it.
const DROPPED_REQUEST_HEADERS = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'host', 'upgrade', VIA_HEADER]);
const REDIRECT_MODES = new Set(['follow', 'manual', 'error']);

/** A subrequest as the runtime asked for it, checked. `body: true`: it streams. */
export interface SubrequestInit {
  method: string;
  url: URL;
  headers: string;
  body: string | ArrayBuffer | null | true;
  redirect: 'follow' | 'manual' | 'error';
}

/** A subrequest's response once its head has arrived; the body (undici's stream) is read on demand. */
export interface SubrequestHead {
  status: number;
  statusText: string;
  headers: string;
  url: string;
  redirected: boolean;
  body: ReadableStream<Uint8Array> | null;
}

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

// undici decodes these content codings as the body is read, so the body the worker sees (and passes
// on) is the decoded one: the origin's content-encoding and content-length describe other bytes, and
// a client given them would cut the body short or decode it twice.
const DECODED_CODINGS = /^(?:x-gzip|gzip|deflate|br)(?:\s*,\s*(?:x-gzip|gzip|deflate|br))*$/i;

function decodedHeaders(headers: Headers): Iterable<[string, string]> {
  const coding = headers.get('content-encoding');
  if (coding === null || !DECODED_CODINGS.test(coding.trim())) return headers;
  return [...headers].filter(([name]) => name !== 'content-encoding' && name !== 'content-length');
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

/**
 * What carries the trace on: a W3C traceparent when the trace id is a W3C one, else the X-Trace-ID
 * the request came with, which Islet's front door reads as well. The traceparent's parent-id is
 * `spanId`, the span the calling request is exported under, so the callee's span links to it (a new
 * random one when the request has no span, as a Durable Object's event). A worker that set either
 * header itself keeps its own.
 */
export function traceHeaders(tenant: readonly [string, string][], traceId: string, spanId: string | null = null): [string, string][] {
  for (const [name] of tenant) {
    const lower = name.toLowerCase();
    if (lower === 'traceparent' || lower === 'x-trace-id') return [];
  }
  return isW3cTraceId(traceId) ? [['traceparent', traceparentFor(traceId, spanId ?? undefined)]] : [['x-trace-id', traceId]];
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
   * `body` is `true` when it streams: the caller then supplies it to `send`.
   */
  parse(args: unknown[]): SubrequestInit | HostReply {
    const [method, url, headers, body, redirect] = args;
    if (typeof method !== 'string' || typeof url !== 'string' || typeof headers !== 'string') return typeError('invalid fetch arguments');
    if (body !== null && body !== true && typeof body !== 'string' && !(body instanceof ArrayBuffer)) return typeError('invalid fetch body');
    if (typeof redirect !== 'string' || !REDIRECT_MODES.has(redirect)) return typeError('invalid redirect mode');
    const parsed = URL.parse(url);
    if (parsed === null) return typeError(`Invalid URL: ${url}`);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return typeError(`Fetch API cannot load: ${url}`);
    return { method, url: parsed, headers, body, redirect: redirect as SubrequestInit['redirect'] };
  }

  /**
   * Sends a parsed subrequest and resolves once its head arrives; the body is left to the caller.
   * `controller` aborts it (its connection and body) at any time; the timeout covers the head only,
   * so a body that keeps arriving is never cut by it. Never rejects.
   * `hops`: worker invocations in the chain that led to this one (see loop-limit.ts).
   * `traceId`: the trace of the request making it, carried on (traceHeaders) so the next service joins it;
   * `spanId`: that request's span, the parent the next service's span names.
   */
  async send(init: SubrequestInit, body: string | ArrayBuffer | AsyncIterable<Uint8Array> | null, controller: AbortController, hops = 0,
    traceId: string | null = null, spanId: string | null = null): Promise<SubrequestHead | HostReply> {
    const target = this.#route(init.url);
    const tenant = decodeHeaders(init.headers).filter(([name]) => !DROPPED_REQUEST_HEADERS.has(name.toLowerCase()));
    const sent: [string, string][] = traceId === null ? tenant : [...tenant, ...traceHeaders(tenant, traceId, spanId)];
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; controller.abort(); }, this.#timeoutMs);
    try {
      const response = await fetch(target, {
        method: init.method, headers: [...sent, [VIA_HEADER, String(hops + 1)]], body,
        // A body that streams is sent as it is written (the Fetch Standard's half duplex).
        ...(body !== null && typeof body === 'object' && !(body instanceof ArrayBuffer) ? { duplex: 'half' as const } : {}),
        redirect: init.redirect, signal: controller.signal,
        dispatcher: asTenantSent(this.#agent, tenant),
      });
      return {
        status: response.status, statusText: response.statusText, headers: encodeHeaders(decodedHeaders(response.headers)),
        url: target === init.url ? response.url : init.url.href, redirected: response.redirected,
        body: response.body as ReadableStream<Uint8Array> | null,
      };
    } catch (err) {
      if (timedOut) return fail(ErrorKind.Error, 'The subrequest timed out.');
      if (controller.signal.aborted) return fail(ErrorKind.Error, 'The subrequest was aborted.');
      const reason = (err as { cause?: unknown }).cause;
      if (reason instanceof EgressBlockedError) return typeError(reason.message);
      const cause = (reason as { code?: string } | undefined)?.code;
      return typeError(`Network connection lost.${cause === undefined ? '' : ` (${cause})`}`);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Closes idle connections; subrequests still in flight fail. */
  close(): Promise<void> {
    return this.#agent.destroy();
  }
}
