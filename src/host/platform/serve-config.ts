// What `islet serve` runs with: a config file (TOML or JSON) under command-line flags, every value
// checked, with defaults that suit one machine. Per-worker limits here are the defaults a deploy's own
// [limits] override.
import { availableParallelism } from 'node:os';
import { readFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import type { ServeLimits } from '../control/model.js';
import { DEFAULT_LIMITS } from '../workers/worker-config.js';
import { DEFAULT_OBJECT_STORAGE_MB } from '../storage/durable-objects/sqlite-object-storage.js';
import { OtlpHeaderError, otlpHeadersFromEnv, parseOtlpHeaderTable, type OtlpHeaders } from '../observability/tracing/otlp-headers.js';

export interface PoolConfig {
  /** Resident isolates per engine process. */
  maxResident: number;
  /** V8 heap of resident isolates per engine process, in MB. */
  maxResidentMb: number;
  /** Booted, unassigned isolates kept ready per engine. */
  spares: number;
  /** An engine that has not answered a ping for this long (at least) is killed and replaced. */
  hangMs?: number;
  /** Resident memory (MB) of an engine process past which it is killed; by default 3/4 of RAM over the engines. */
  engineMemoryMb?: number;
}

/**
 * What usage costs, for the per-worker cost metric and the usage endpoint. The defaults are Cloudflare
 * Workers Standard's overage prices in USD (https://developers.cloudflare.com/workers/platform/pricing/):
 * $0.30 per million requests, $0.02 per million CPU milliseconds, and no charge for duration or memory.
 */
export interface CostPrices {
  perMillionRequests: number;
  perMillionCpuMs: number;
  /** Per GB-second of isolate memory: the worker's memory limit held for a request's wall-clock time. */
  perGbSecond: number;
}

export const DEFAULT_COST: CostPrices = { perMillionRequests: 0.30, perMillionCpuMs: 0.02, perGbSecond: 0 };

/** Durable Objects, for every worker alike: the operator's to set, not a deploy's. */
export interface DurableObjectsConfig {
  /** MiB one object's database may hold; a write past it fails with SQLITE_FULL (default 1024; Cloudflare: 10 GB). */
  maxStorageMb: number;
  /**
   * How long an object active when a new version is deployed keeps running its code before it is reset
   * to the new one (Cloudflare's max_delay: default 300 s, at most 86,400 s; 0 resets it at once).
   */
  codeUpdateMaxDelayMs?: number;
}

export type LogFormat = 'json' | 'pretty';

export interface ObservabilityConfig {
  /** `json`: one JSON object per line on stdout, for log shippers; `pretty`: text lines on stderr. */
  logFormat: LogFormat;
  /** Where spans are POSTed (OTLP/HTTP JSON), the full URL ending in /v1/traces; null: no export. */
  otlpTracesUrl: string | null;
  /** Sent with every export (a collector's API key): the OTEL_EXPORTER_OTLP_*HEADERS variables, `otlp_headers` over them. */
  otlpHeaders?: OtlpHeaders;
  /**
   * The share of successful requests that get a request log line (0 to 1; 1: every one). Failed
   * requests, cron runs and queue batches always do; metrics, tails and the dashboard see everything.
   */
  requestLogSampling?: number;
}

export interface ServeConfig {
  ip: string;
  port: number;
  adminIp: string;
  adminPort: number;
  dataDir: string;
  /** Engine processes; 0 runs isolates in the server's own process (no crash containment). */
  engines: number;
  adminToken: string | null;
  /** Serve every worker under /<name>/ on any host, besides its routes. */
  devRoutes: boolean;
  egressAllow: string[];
  limits: ServeLimits;
  pool: PoolConfig;
  cost: CostPrices;
  /** On SIGTERM, in-flight requests and waitUntil work get this long. */
  shutdownGraceMs: number;
  observability: ObservabilityConfig;
  durableObjects: DurableObjectsConfig;
}

export class ServeConfigError extends Error {
  readonly code = 'ERR_SERVE_CONFIG';
}

export const DEFAULT_SERVE_LIMITS: ServeLimits = { ...DEFAULT_LIMITS, concurrency: 64, queue: 256, ratePerSecond: 0 };

export function defaultServeConfig(cwd: string): ServeConfig {
  return {
    ip: '127.0.0.1',
    port: 8787,
    adminIp: '127.0.0.1',
    adminPort: 8788,
    dataDir: resolve(cwd, '.islet'),
    engines: availableParallelism(),
    adminToken: process.env.ISLET_ADMIN_TOKEN || null,
    devRoutes: true,
    egressAllow: [],
    limits: { ...DEFAULT_SERVE_LIMITS },
    pool: { maxResident: 2_000, maxResidentMb: 4_096, spares: 2 },
    cost: { ...DEFAULT_COST },
    shutdownGraceMs: 30_000,
    observability: { logFormat: 'json', requestLogSampling: 1, otlpTracesUrl: otlpFromEnv(process.env), otlpHeaders: headersFrom(() => otlpHeadersFromEnv(process.env)) },
    durableObjects: { maxStorageMb: DEFAULT_OBJECT_STORAGE_MB },
  };
}

/**
 * The OpenTelemetry SDKs' variables: the traces endpoint is used as given, the general one gets
 * /v1/traces appended. @see https://opentelemetry.io/docs/specs/otel/protocol/exporter/
 */
export function otlpFromEnv(env: NodeJS.ProcessEnv): string | null {
  const traces = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  if (traces !== undefined && traces !== '') return otlpUrl('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', traces, false);
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT;
  return base === undefined || base === '' ? null : otlpUrl('OTEL_EXPORTER_OTLP_ENDPOINT', base, true);
}

/** Header lists are checked where they are read; their errors are config errors like any other. */
function headersFrom(parse: () => OtlpHeaders): OtlpHeaders {
  try {
    return parse();
  } catch (err) {
    if (err instanceof OtlpHeaderError) throw new ServeConfigError(err.message);
    throw err;
  }
}

/** An http(s) endpoint, with /v1/traces appended to a base endpoint. */
export function otlpUrl(where: string, value: string, base: boolean): string {
  const url = URL.parse(value);
  if (url === null || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.username !== '' || url.password !== '') {
    throw new ServeConfigError(`${where} must be an http(s) URL like http://127.0.0.1:4318, got ${JSON.stringify(value)}`);
  }
  return base ? `${url.origin}${url.pathname.replace(/\/+$/, '')}/v1/traces${url.search}` : url.href;
}

export function parseLogFormat(where: string, value: unknown): LogFormat {
  if (value === 'json') return 'json';
  if (value === 'pretty' || value === 'text') return 'pretty';
  throw new ServeConfigError(`${where} must be "json" or "pretty", got ${JSON.stringify(value)}`);
}

type Table = Record<string, unknown>;
/** A value as the config wrote it: NaN and inf are numbers TOML allows, which JSON would show as null. */
const shown = (value: unknown): string => (typeof value === 'number' ? String(value) : JSON.stringify(value));
const isTable = (v: unknown): v is Table => typeof v === 'object' && v !== null && !Array.isArray(v);

function integer(where: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ServeConfigError(`${where} must be an integer from ${min} to ${max}, got ${shown(value)}`);
  }
  return value;
}

function fraction(where: string, value: unknown): number {
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) throw new ServeConfigError(`${where} must be a number from 0 to 1, got ${shown(value)}`);
  return value;
}

function price(where: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1e9) {
    throw new ServeConfigError(`${where} must be a number from 0 to 1000000000, got ${shown(value)}`);
  }
  return value;
}

function string(where: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') throw new ServeConfigError(`${where} must be a non-empty string`);
  return value;
}

const LIMIT_KEYS: Record<string, [keyof ServeLimits, number, number]> = {
  cpu_ms: ['cpuMs', 1, 300_000],
  wall_ms: ['wallMs', 1, 900_000],
  memory_mb: ['memoryMb', 8, 4_096],
  subrequests: ['subrequests', 0, 10_000],
  concurrency: ['concurrency', 1, 10_000],
  queue: ['queue', 0, 100_000],
  rate_per_second: ['ratePerSecond', 0, 1_000_000],
};

const COST_KEYS: Record<string, keyof CostPrices> = {
  per_million_requests: 'perMillionRequests',
  per_million_cpu_ms: 'perMillionCpuMs',
  per_gb_second: 'perGbSecond',
};

/** Applies a parsed config file's keys (snake_case, as wrangler's) onto `config`. */
function applyFile(config: ServeConfig, raw: Table, file: string, baseDir: string): void {
  const known = new Set(['ip', 'port', 'admin_ip', 'admin_port', 'data', 'engines', 'admin_token', 'dev_routes', 'egress_allow', 'limits', 'pool', 'cost', 'shutdown_grace_ms', 'observability', 'durable_objects']);
  for (const key of Object.keys(raw)) if (!known.has(key)) throw new ServeConfigError(`${file}: unknown key "${key}"`);
  const at = (key: string) => `${file}: "${key}"`;
  if (raw.ip !== undefined) config.ip = string(at('ip'), raw.ip);
  if (raw.port !== undefined) config.port = integer(at('port'), raw.port, 0, 65535);
  if (raw.admin_ip !== undefined) config.adminIp = string(at('admin_ip'), raw.admin_ip);
  if (raw.admin_port !== undefined) config.adminPort = integer(at('admin_port'), raw.admin_port, 0, 65535);
  if (raw.data !== undefined) config.dataDir = resolve(baseDir, string(at('data'), raw.data));
  if (raw.engines !== undefined) config.engines = integer(at('engines'), raw.engines, 0, 256);
  if (raw.admin_token !== undefined) config.adminToken = string(at('admin_token'), raw.admin_token);
  if (raw.shutdown_grace_ms !== undefined) config.shutdownGraceMs = integer(at('shutdown_grace_ms'), raw.shutdown_grace_ms, 0, 600_000);
  if (raw.dev_routes !== undefined) {
    if (typeof raw.dev_routes !== 'boolean') throw new ServeConfigError(`${at('dev_routes')} must be true or false`);
    config.devRoutes = raw.dev_routes;
  }
  if (raw.egress_allow !== undefined) {
    if (!Array.isArray(raw.egress_allow)) throw new ServeConfigError(`${at('egress_allow')} must be a list of CIDRs or hostnames`);
    config.egressAllow = raw.egress_allow.map((entry, i) => string(`${at('egress_allow')}[${i}]`, entry));
  }
  if (raw.limits !== undefined) {
    if (!isTable(raw.limits)) throw new ServeConfigError(`${at('limits')} must be a table`);
    for (const [key, value] of Object.entries(raw.limits)) {
      const spec = LIMIT_KEYS[key];
      if (spec === undefined) throw new ServeConfigError(`${file}: unknown key "limits.${key}" (known: ${Object.keys(LIMIT_KEYS).join(', ')})`);
      config.limits[spec[0]] = integer(`${file}: "limits.${key}"`, value, spec[1], spec[2]);
    }
  }
  if (raw.pool !== undefined) {
    if (!isTable(raw.pool)) throw new ServeConfigError(`${at('pool')} must be a table`);
    for (const [key, value] of Object.entries(raw.pool)) {
      if (key === 'max_resident') config.pool.maxResident = integer(`${file}: "pool.max_resident"`, value, 1, 1_000_000);
      else if (key === 'max_resident_mb') config.pool.maxResidentMb = integer(`${file}: "pool.max_resident_mb"`, value, 16, 1_048_576);
      else if (key === 'spares') config.pool.spares = integer(`${file}: "pool.spares"`, value, 0, 64);
      else if (key === 'hang_ms') config.pool.hangMs = integer(`${file}: "pool.hang_ms"`, value, 1_000, 3_600_000);
      else if (key === 'engine_memory_mb') config.pool.engineMemoryMb = integer(`${file}: "pool.engine_memory_mb"`, value, 128, 16_777_216);
      else throw new ServeConfigError(`${file}: unknown key "pool.${key}" (known: max_resident, max_resident_mb, spares, hang_ms, engine_memory_mb)`);
    }
  }
  if (raw.observability !== undefined) {
    if (!isTable(raw.observability)) throw new ServeConfigError(`${at('observability')} must be a table`);
    for (const [key, value] of Object.entries(raw.observability)) {
      if (key === 'log_format') config.observability.logFormat = parseLogFormat(`${file}: "observability.log_format"`, value);
      else if (key === 'request_log_sampling') config.observability.requestLogSampling = fraction(`${file}: "observability.request_log_sampling"`, value);
      else if (key === 'otlp_endpoint') config.observability.otlpTracesUrl = otlpUrl(`${file}: "observability.otlp_endpoint"`, string(`${file}: "observability.otlp_endpoint"`, value), true);
      else if (key === 'otlp_headers') {
        const where = `${file}: "observability.otlp_headers"`;
        if (!isTable(value)) throw new ServeConfigError(`${where} must be a table of header names to values, like { "x-api-key" = "..." }`);
        // Key by key over the variables' headers: the config file is the more deliberate of the two.
        config.observability.otlpHeaders = { ...config.observability.otlpHeaders, ...headersFrom(() => parseOtlpHeaderTable(where, value)) };
      } else throw new ServeConfigError(`${file}: unknown key "observability.${key}" (known: log_format, request_log_sampling, otlp_endpoint, otlp_headers)`);
    }
  }
  if (raw.durable_objects !== undefined) {
    if (!isTable(raw.durable_objects)) throw new ServeConfigError(`${at('durable_objects')} must be a table`);
    for (const [key, value] of Object.entries(raw.durable_objects)) {
      if (key === 'max_storage_mb') config.durableObjects.maxStorageMb = integer(`${file}: "durable_objects.max_storage_mb"`, value, 1, 1_048_576);
      else if (key === 'code_update_max_delay_ms') config.durableObjects.codeUpdateMaxDelayMs = integer(`${file}: "durable_objects.code_update_max_delay_ms"`, value, 0, 86_400_000);
      else throw new ServeConfigError(`${file}: unknown key "durable_objects.${key}" (known: max_storage_mb, code_update_max_delay_ms)`);
    }
  }
  if (raw.cost !== undefined) {
    if (!isTable(raw.cost)) throw new ServeConfigError(`${at('cost')} must be a table`);
    for (const [key, value] of Object.entries(raw.cost)) {
      const field = COST_KEYS[key];
      if (field === undefined) throw new ServeConfigError(`${file}: unknown key "cost.${key}" (known: ${Object.keys(COST_KEYS).join(', ')})`);
      config.cost[field] = price(`${file}: "cost.${key}"`, value);
    }
  }
}

export interface ServeFlags {
  config?: string | undefined;
  ip?: string | undefined;
  port?: number | undefined;
  adminIp?: string | undefined;
  adminPort?: number | undefined;
  data?: string | undefined;
  engines?: number | undefined;
  token?: string | undefined;
  logFormat?: LogFormat | undefined;
}

/** Defaults, then the config file, then flags. */
export function readServeConfig(cwd: string, flags: ServeFlags): ServeConfig {
  const config = defaultServeConfig(cwd);
  if (flags.config !== undefined) {
    const file = resolve(cwd, flags.config);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new ServeConfigError(`Cannot read ${file}: ${(err as Error).message}`);
    }
    let raw: unknown;
    try {
      raw = extname(file) === '.json' ? JSON.parse(text) : parseToml(text);
    } catch (err) {
      throw new ServeConfigError(`${file} is not valid ${extname(file) === '.json' ? 'JSON' : 'TOML'}: ${(err as Error).message}`);
    }
    if (!isTable(raw)) throw new ServeConfigError(`${file}: the top level must be a table`);
    applyFile(config, raw, file, resolve(file, '..'));
  }
  if (flags.ip !== undefined) config.ip = flags.ip;
  if (flags.port !== undefined) config.port = flags.port;
  if (flags.adminIp !== undefined) config.adminIp = flags.adminIp;
  if (flags.adminPort !== undefined) config.adminPort = flags.adminPort;
  if (flags.data !== undefined) config.dataDir = resolve(cwd, flags.data);
  if (flags.engines !== undefined) config.engines = flags.engines;
  if (flags.token !== undefined) config.adminToken = flags.token;
  if (flags.logFormat !== undefined) config.observability.logFormat = flags.logFormat;
  return config;
}
