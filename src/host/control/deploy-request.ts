// The admin API's request bodies (docs/admin-api.md), checked field by field before anything is
// compiled or stored: they come from the network. Every problem names its field, so a deployer can
// fix it from the message alone; unknown fields are refused rather than ignored, so a misspelt
// "persent" cannot silently deploy at 100%.
import { CronExpressionError, parseCronList } from '../scheduling/cron-expression.js';
import type { AnalyticsDatasetConfig, KvNamespaceConfig, ServiceBindingConfig, VarValue } from '../workers/worker-config.js';
import { hasQueues, parseQueuesConfig } from '../workers/queues-config.js';
import { ControlError } from './control-error.js';
import { parseObjectBindings, parseObjectMigrations } from './durable-objects-config.js';
import { NAME_PATTERN, type ServeLimits, type StickyBy, type VersionConfig } from './model.js';
import { parseRoutePattern } from './route-pattern.js';

export interface DeployRequest {
  code: string;
  sourceMap: string | null;
  /** Null: the worker's tenant, or its name for a new worker. */
  tenant: string | null;
  message: string | null;
  config: VersionConfig;
  /** The worker's routes from now on (`config.routes` in the body); null when the body has none, which keeps them. */
  routes: string[] | null;
  percent: number;
  sticky: StickyBy;
}

export interface SplitRequest {
  versions: { id: string; percent: number }[];
  /** Absent: keep the current deployment's sticky setting, so moving a rollout along keeps clients where they are. */
  sticky?: StickyBy;
}

export interface RollbackRequest {
  /** Null: the version(s) of the deployment before the current one. */
  version: string | null;
}

/** A bundled module; the same bound as a KV value and wrangler's upload limit. */
export const MAX_CODE_BYTES = 25 * 1024 * 1024;
/** Cloudflare's limit on one environment variable, secret or text. */
export const MAX_ENV_VALUE_BYTES = 5 * 1024;
export const MAX_MESSAGE_LENGTH = 1000;

const LIMIT_RANGES: Record<keyof ServeLimits, readonly [number, number]> = {
  cpuMs: [1, 300_000],
  wallMs: [1, 900_000],
  memoryMb: [8, 4096],
  subrequests: [0, 10_000],
  concurrency: [1, 10_000],
  queue: [0, 100_000],
  ratePerSecond: [0, 1_000_000],
};

const IDENTIFIER = /^[\p{ID_Start}$_][\p{ID_Continue}$\u200C\u200D]*$/u;
const KV_NAMESPACE_ID = /^[A-Za-z0-9_-]{1,64}$/;
const DATASET_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const COMPAT_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// RFC 9110 token: header field names and (RFC 6265) cookie names.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,256}$/;
const MAX_JSON_DEPTH = 64;

const DEPLOY_FIELDS = ['code', 'sourceMap', 'tenant', 'message', 'config', 'percent', 'sticky'];
const CONFIG_FIELDS = ['compatibilityDate', 'vars', 'kvNamespaces', 'analyticsEngineDatasets', 'limits', 'routes', 'services', 'crons', 'durableObjects', 'durableObjectMigrations', 'queues'];
/** A worker's bindings are at most a few dozen on Workers; this only bounds what one request can ask for. */
export const MAX_SERVICES = 64;
/** Cloudflare allows 1,000 routes per zone; one worker needs no more. */
export const MAX_ROUTES = 1_000;
/** Cloudflare allows 64 environment variables per worker; secrets are counted apart (128). */
export const MAX_VARS = 64;

export function parseDeployRequest(body: unknown): DeployRequest {
  const raw = object(body, 'body');
  onlyFields(raw, DEPLOY_FIELDS, '');
  const code = raw['code'];
  if (typeof code !== 'string' || code === '') fail('code', 'must be a non-empty string (one bundled ES module)');
  if (Buffer.byteLength(code as string) > MAX_CODE_BYTES) fail('code', `is larger than ${MAX_CODE_BYTES / 1024 / 1024} MiB`);
  const { routes, ...config } = configOf(raw['config']);
  return {
    code: code as string,
    sourceMap: sourceMapOf(raw['sourceMap']),
    tenant: nullable(raw['tenant'], (value) => name(value, 'tenant')),
    message: nullable(raw['message'], (value) => {
      if (typeof value !== 'string' || value.length > MAX_MESSAGE_LENGTH) fail('message', `must be a string of at most ${MAX_MESSAGE_LENGTH} characters`);
      return value as string;
    }),
    config,
    routes,
    percent: raw['percent'] === undefined ? 100 : percentOf(raw['percent'], 'percent'),
    sticky: raw['sticky'] === undefined ? null : stickyOf(raw['sticky'], 'sticky'),
  };
}

export function parseSplitRequest(body: unknown): SplitRequest {
  const raw = object(body, 'body');
  onlyFields(raw, ['versions', 'sticky'], '');
  const request: SplitRequest = { versions: parseVersionSplit(raw['versions'], 'versions') };
  if (raw['sticky'] !== undefined) request.sticky = stickyOf(raw['sticky'], 'sticky');
  return request;
}

export function parseRollbackRequest(body: unknown): RollbackRequest {
  // An empty body is a rollback to the previous deployment.
  const raw = body === undefined || body === null ? {} : object(body, 'body');
  onlyFields(raw, ['version'], '');
  return { version: nullable(raw['version'], (value) => versionId(value, 'version')) };
}

/** The versions of a split: ids of versions, each with a whole percentage from 1 to 100, 100 in all. */
export function parseVersionSplit(value: unknown, field: string): { id: string; percent: number }[] {
  if (!Array.isArray(value) || value.length === 0) fail(field, 'must be a non-empty array of {id, percent}');
  const seen = new Set<string>();
  let total = 0;
  const versions = (value as unknown[]).map((item, index) => {
    const at = `${field}[${index}]`;
    const entry = object(item, at);
    onlyFields(entry, ['id', 'percent'], at);
    const id = versionId(entry['id'], `${at}.id`);
    if (seen.has(id)) fail(`${at}.id`, `lists version ${id} a second time`);
    seen.add(id);
    const percent = percentOf(entry['percent'], `${at}.percent`);
    total += percent;
    return { id, percent };
  });
  if (total !== 100) fail(field, `percentages must add up to 100, not ${total}`);
  return versions;
}

/** Vars and secrets share the worker's env with the bindings: a JavaScript identifier, not `__proto__`. */
export function isBindingName(value: string): boolean {
  return IDENTIFIER.test(value) && value !== '__proto__';
}

export function stickyOf(value: unknown, field: string): StickyBy {
  if (value === null) return null;
  const raw = typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  const keys = Object.keys(raw);
  const only = keys.length === 1 ? keys[0] : undefined;
  const given = only === undefined ? undefined : raw[only];
  if ((only !== 'header' && only !== 'cookie') || typeof given !== 'string' || !TOKEN.test(given)) {
    fail(field, 'must be null, {"header": "<header name>"} or {"cookie": "<cookie name>"}');
  }
  // Header names compare case-insensitively, cookie names do not.
  return only === 'header' ? { header: (given as string).toLowerCase() } : { cookie: given as string };
}

function configOf(value: unknown): VersionConfig & { routes: string[] | null } {
  const raw = value === undefined ? {} : object(value, 'config');
  onlyFields(raw, CONFIG_FIELDS, 'config');
  const owners = new Map<string, string>();
  const claim = (binding: string, field: string): void => {
    if (!isBindingName(binding)) fail(field, `"${binding}" is not a valid JavaScript identifier`);
    const previous = owners.get(binding);
    if (previous !== undefined) fail(field, `"${binding}" is already used by ${previous}`);
    owners.set(binding, field);
  };

  const vars: Record<string, VarValue> = {};
  const rawVars = Object.entries(raw['vars'] === undefined ? {} : object(raw['vars'], 'config.vars'));
  if (rawVars.length > MAX_VARS) fail('config.vars', `has ${rawVars.length} entries; at most ${MAX_VARS} are allowed per worker`);
  for (const [key, item] of rawVars) {
    const field = `config.vars.${key}`;
    claim(key, field);
    vars[key] = varValue(item, field);
  }

  const kvNamespaces: KvNamespaceConfig[] = [];
  const rawKv = raw['kvNamespaces'] ?? [];
  if (!Array.isArray(rawKv)) fail('config.kvNamespaces', 'must be an array of {binding, id}');
  (rawKv as unknown[]).forEach((item, index) => {
    const at = `config.kvNamespaces[${index}]`;
    const entry = object(item, at);
    onlyFields(entry, ['binding', 'id'], at);
    const binding = entry['binding'];
    if (typeof binding !== 'string') fail(`${at}.binding`, 'must be a string');
    claim(binding as string, `${at}.binding`);
    const id = entry['id'];
    if (typeof id !== 'string' || !KV_NAMESPACE_ID.test(id)) fail(`${at}.id`, 'must be 1 to 64 letters, digits, "-" or "_"');
    kvNamespaces.push({ binding: binding as string, id: id as string });
  });

  const limits: Partial<ServeLimits> = {};
  const rawLimits = raw['limits'] === undefined ? {} : object(raw['limits'], 'config.limits');
  onlyFields(rawLimits, Object.keys(LIMIT_RANGES), 'config.limits');
  for (const [key, [min, max]] of Object.entries(LIMIT_RANGES) as [keyof ServeLimits, readonly [number, number]][]) {
    const limit = rawLimits[key];
    if (limit === undefined) continue;
    if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < min || limit > max) {
      fail(`config.limits.${key}`, `must be a whole number from ${min} to ${max}`);
    }
    limits[key] = limit as number;
  }

  const routes: string[] = [];
  const seen = new Map<string, number>();
  const rawRoutes = raw['routes'] ?? [];
  if (!Array.isArray(rawRoutes)) fail('config.routes', 'must be an array of route patterns');
  if ((rawRoutes as unknown[]).length > MAX_ROUTES) fail('config.routes', `has ${(rawRoutes as unknown[]).length} patterns; at most ${MAX_ROUTES} are allowed per worker`);
  (rawRoutes as unknown[]).forEach((item, index) => {
    const at = `config.routes[${index}]`;
    if (typeof item !== 'string') fail(at, 'must be a string');
    let text: string;
    try {
      text = parseRoutePattern(item as string).text;
    } catch (error) {
      if (error instanceof ControlError) fail(at, error.message);
      throw error;
    }
    const first = seen.get(text);
    if (first !== undefined) fail(at, `repeats config.routes[${first}] (${text})`);
    seen.set(text, index);
    routes.push(text);
  });

  const services: ServiceBindingConfig[] = [];
  const rawServices = raw['services'] ?? [];
  if (!Array.isArray(rawServices)) fail('config.services', 'must be an array of {binding, service, entrypoint?}');
  if ((rawServices as unknown[]).length > MAX_SERVICES) fail('config.services', `has more than ${MAX_SERVICES} bindings`);
  (rawServices as unknown[]).forEach((item, index) => {
    const at = `config.services[${index}]`;
    const entry = object(item, at);
    onlyFields(entry, ['binding', 'service', 'entrypoint'], at);
    const binding = entry['binding'];
    if (typeof binding !== 'string') fail(`${at}.binding`, 'must be a string');
    claim(binding as string, `${at}.binding`);
    const service = name(entry['service'], `${at}.service`);
    const entrypoint = entry['entrypoint'];
    if (entrypoint !== undefined && (typeof entrypoint !== 'string' || !isBindingName(entrypoint))) fail(`${at}.entrypoint`, 'must be the name of an export of the target worker');
    services.push({ binding: binding as string, service, ...(entrypoint !== undefined ? { entrypoint: entrypoint as string } : {}) });
  });

  const analyticsEngineDatasets: AnalyticsDatasetConfig[] = [];
  const rawDatasets = raw['analyticsEngineDatasets'] ?? [];
  if (!Array.isArray(rawDatasets)) fail('config.analyticsEngineDatasets', 'must be an array of {binding, dataset}');
  (rawDatasets as unknown[]).forEach((item, index) => {
    const at = `config.analyticsEngineDatasets[${index}]`;
    const entry = object(item, at);
    onlyFields(entry, ['binding', 'dataset'], at);
    const binding = entry['binding'];
    if (typeof binding !== 'string') fail(`${at}.binding`, 'must be a string');
    claim(binding as string, `${at}.binding`);
    const dataset = entry['dataset'];
    if (typeof dataset !== 'string' || !DATASET_NAME.test(dataset)) fail(`${at}.dataset`, 'must be 1 to 64 letters, digits, "-" or "_"');
    analyticsEngineDatasets.push({ binding: binding as string, dataset: dataset as string });
  });

  const rawCrons = raw['crons'] ?? [];
  if (!Array.isArray(rawCrons) || !rawCrons.every((item) => typeof item === 'string')) fail('config.crons', 'must be an array of cron expressions');
  let crons: string[] = [];
  try {
    crons = parseCronList(rawCrons as string[]);
  } catch (err) {
    if (err instanceof CronExpressionError) fail('config.crons', err.message);
    throw err;
  }

  const durableObjects = parseObjectBindings(raw['durableObjects'], claim);
  const durableObjectMigrations = parseObjectMigrations(raw['durableObjectMigrations']);
  const queues = parseQueuesConfig(raw['queues'], fail, claim);

  return {
    compatibilityDate: compatibilityDateOf(raw['compatibilityDate']), vars, kvNamespaces, limits,
    // A body without routes leaves the worker's as they are, as wrangler does for a config without them.
    routes: raw['routes'] === undefined || raw['routes'] === null ? null : routes,
    ...(analyticsEngineDatasets.length > 0 ? { analyticsEngineDatasets } : {}),
    // Stored only when set: such versions read the same as versions from before these existed.
    ...(services.length > 0 ? { services } : {}), ...(crons.length > 0 ? { crons } : {}),
    ...(durableObjects.length > 0 ? { durableObjects } : {}), ...(durableObjectMigrations.length > 0 ? { durableObjectMigrations } : {}),
    ...(hasQueues(queues) ? { queues } : {}),
  };
}

function compatibilityDateOf(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  const match = typeof value === 'string' ? COMPAT_DATE.exec(value) : null;
  const date = match === null ? null : new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  if (date === null || date.toISOString().slice(0, 10) !== value) {
    fail('config.compatibilityDate', 'must be null or a date like "2025-01-01"');
  }
  return value as string;
}

function varValue(value: unknown, field: string): VarValue {
  if (value === null || !isJsonValue(value, 0)) fail(field, 'must be a string, number, boolean, array or JSON object');
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  if (Buffer.byteLength(text) > MAX_ENV_VALUE_BYTES) fail(field, `is larger than ${MAX_ENV_VALUE_BYTES / 1024} KiB`);
  // A copy made of JSON: no prototypes, getters or shared references reach the stored record.
  return typeof value === 'object' ? (JSON.parse(text) as object) : (value as VarValue);
}

function isJsonValue(value: unknown, depth: number): boolean {
  if (depth > MAX_JSON_DEPTH) return false;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'object': {
      if (value === null) return true;
      if (Array.isArray(value)) return value.every((item) => isJsonValue(item, depth + 1));
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return false;
      return Object.values(value).every((item) => isJsonValue(item, depth + 1));
    }
    default:
      return false;
  }
}

function sourceMapOf(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') fail('sourceMap', 'must be null or the source map as JSON text');
  let parsed: unknown;
  try {
    parsed = JSON.parse(value as string);
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || typeof (parsed as Record<string, unknown>)['mappings'] !== 'string') {
    fail('sourceMap', 'must be a source map (JSON text with "mappings")');
  }
  return value as string;
}

function percentOf(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 100) fail(field, 'must be a whole number from 1 to 100');
  return value as number;
}

function versionId(value: unknown, field: string): string {
  if (typeof value !== 'string' || !UUID.test(value)) fail(field, 'must be a version id (a UUID)');
  return (value as string).toLowerCase();
}

function name(value: unknown, field: string): string {
  if (typeof value !== 'string' || !NAME_PATTERN.test(value)) {
    fail(field, 'must be 1 to 63 lower-case letters, digits, "-" or "_", starting with a letter or digit');
  }
  return value as string;
}

function nullable<T>(value: unknown, read: (value: unknown) => T): T | null {
  return value === undefined || value === null ? null : read(value);
}

function object(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(field, 'must be a JSON object');
  return value as Record<string, unknown>;
}

function onlyFields(raw: Record<string, unknown>, allowed: readonly string[], parent: string): void {
  for (const key of Object.keys(raw)) {
    if (!allowed.includes(key)) fail(parent === '' ? key : `${parent}.${key}`, `unknown field (expected ${allowed.join(', ')})`);
  }
}

function fail(field: string, problem: string): never {
  throw new ControlError('invalid_request', `${field}: ${problem}`);
}
