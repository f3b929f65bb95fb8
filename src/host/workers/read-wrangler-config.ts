import fs from 'node:fs';
import path from 'node:path';
import jsonc from 'jsonc-parser';
import { parse as parseToml, TomlError } from 'smol-toml';
import { readDurableObjects } from './read-durable-objects.js';
import { hasQueues, readQueues } from './queues-config.js';
import { CronExpressionError, parseCronList } from '../scheduling/cron-expression.js';
import { DEFAULT_LIMITS, type AnalyticsDatasetConfig, type KvNamespaceConfig, type ServiceBindingConfig, type VarValue, type WorkerConfig } from './worker-config.js';

export type ConfigErrorCode =
  | 'CONFIG_NOT_FOUND'
  | 'PARSE_ERROR'
  | 'MISSING_MAIN'
  | 'MAIN_NOT_FOUND'
  | 'INVALID_BINDING_NAME'
  | 'DUPLICATE_BINDING'
  | 'INVALID_TYPE';

export class ConfigError extends Error {
  override name = 'ConfigError';
  readonly code: ConfigErrorCode;
  constructor(code: ConfigErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

export interface ReadWorkerConfigOptions {
  configPath?: string;
  entry?: string;
  cwd: string;
  /** From `--var KEY:VALUE`; wins over [vars] and .dev.vars, as in wrangler dev. */
  vars?: Record<string, string>;
  /** False for commands that only need bindings (`islet kv`): a missing or absent main is then no error. */
  requireMain?: boolean;
  /** False for `islet deploy`: .dev.vars holds local values, which wrangler deploy does not upload either. */
  readDevVars?: boolean;
}

export type ReadWorkerConfigResult = WorkerConfig & { routes: string[]; services: ServiceBindingConfig[]; crons: string[]; warnings: string[] };

// Same names and order as wrangler's findWranglerConfig.
const MAX_CPU_MS = 300_000;

export const CONFIG_FILE_NAMES = ['wrangler.json', 'wrangler.jsonc', 'wrangler.toml'] as const;

// Keys a Workers project may rely on at runtime or build time; silently dropping them would
// make the worker misbehave in ways that are hard to trace back to the config.
const UNSUPPORTED_KEYS = [
  'r2_buckets', 'd1_databases',
  'vectorize', 'hyperdrive', 'ai', 'browser', 'workflows', 'send_email', 'mtls_certificates',
  'dispatch_namespaces', 'tail_consumers', 'ratelimits', 'secrets_store_secrets', 'pipelines', 'images',
  'version_metadata', 'containers', 'assets', 'site', 'wasm_modules', 'text_blobs', 'data_blobs', 'unsafe',
  'build', 'rules', 'define', 'alias', 'tsconfig', 'no_bundle', 'find_additional_modules', 'node_compat',
];

const NODE_COMPAT_FLAGS = new Set(['nodejs_compat', 'nodejs_compat_v2', 'nodejs_als']);
const IDENTIFIER = /^[\p{ID_Start}$_][\p{ID_Continue}$\u200C\u200D]*$/u;
const COMPAT_DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATASET_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** Nearest directory wins; within one directory, wrangler's file order decides. */
export function findConfig(dir: string): string | null {
  for (let current = path.resolve(dir); ; current = path.dirname(current)) {
    for (const name of CONFIG_FILE_NAMES) {
      const candidate = path.join(current, name);
      if (isFile(candidate)) return candidate;
    }
    if (path.dirname(current) === current) return null;
  }
}

export function readWorkerConfig(options: ReadWorkerConfigOptions): ReadWorkerConfigResult {
  const cwd = path.resolve(options.cwd);
  const entry = options.entry === undefined ? undefined : path.resolve(cwd, options.entry);
  let configPath: string | null;
  if (options.configPath !== undefined) {
    configPath = path.resolve(cwd, options.configPath);
    if (!isFile(configPath)) throw new ConfigError('CONFIG_NOT_FOUND', `Config file ${configPath} not found`);
  } else {
    // wrangler looks for the config starting from the entry's directory when one is given.
    configPath = findConfig(entry === undefined ? cwd : path.dirname(entry));
  }
  const rootDir = configPath === null ? cwd : path.dirname(configPath);
  const file = configPath === null ? '(no wrangler config)' : display(configPath, cwd);
  const raw = configPath === null ? {} : parseConfigFile(configPath, file);
  if (!isTable(raw)) throw new ConfigError('INVALID_TYPE', `${file}: the top level must be a table/object`);
  const fail = (code: ConfigErrorCode, key: string, problem: string): never => {
    throw new ConfigError(code, `${file}: "${key}" ${problem}`);
  };

  const warnings: string[] = [];
  for (const key of UNSUPPORTED_KEYS) {
    if (raw[key] !== undefined) warnings.push(`${file}: "${key}" is not supported by Islet yet and is ignored`);
  }
  if (raw['env'] !== undefined) {
    warnings.push(`${file}: "env" (named environments) is not supported by Islet yet; the top-level configuration is used`);
  }
  const flags = raw['compatibility_flags'];
  if (Array.isArray(flags) && flags.some((flag) => NODE_COMPAT_FLAGS.has(String(flag)))) {
    warnings.push(`${file}: "compatibility_flags" asks for Node.js compatibility, which Islet workers do not provide`);
  }

  const name = optionalString(raw, 'name', fail) ?? path.basename(rootDir);
  const compatibilityDate = readCompatibilityDate(raw['compatibility_date'], fail);
  if (compatibilityDate === null && configPath !== null) {
    warnings.push(`${file}: no "compatibility_date" is set; add one (e.g. compatibility_date = "${new Date().toISOString().slice(0, 10)}") so behaviour does not change under you`);
  }

  let main: string;
  if (entry !== undefined) {
    if (!isFile(entry)) throw new ConfigError('MAIN_NOT_FOUND', `Entry file ${entry} not found`);
    main = entry;
  } else {
    const relMain = optionalString(raw, 'main', fail);
    if (relMain === undefined && options.requireMain === false && configPath !== null) {
      main = '';
    } else if (relMain === undefined) {
      if (configPath === null) {
        throw new ConfigError('MISSING_MAIN', `No ${CONFIG_FILE_NAMES.join(', ')} found in ${cwd} or its parents, and no entry file given`);
      }
      return fail('MISSING_MAIN', 'main', 'is missing: set it to the worker entry file or pass an entry file');
    } else {
      main = path.resolve(rootDir, relMain);
      if (!isFile(main) && options.requireMain !== false) fail('MAIN_NOT_FOUND', 'main', `points to ${main}, which does not exist`);
    }
  }

  const owners = new Map<string, string>();
  const claim = (bindingName: string, key: string, source: string): void => {
    if (!IDENTIFIER.test(bindingName) || bindingName === '__proto__') {
      throw new ConfigError('INVALID_BINDING_NAME', `${source}: "${key}" binding name "${bindingName}" is not a valid JavaScript identifier`);
    }
    const previous = owners.get(bindingName);
    if (previous !== undefined) {
      throw new ConfigError('DUPLICATE_BINDING', `${source}: "${key}" reuses binding name "${bindingName}", already used by ${previous}`);
    }
    owners.set(bindingName, `${source} "${key}"`);
  };

  const vars: Record<string, VarValue> = {};
  const rawVars = raw['vars'] ?? {};
  if (!isTable(rawVars)) fail('INVALID_TYPE', 'vars', 'must be a table/object');
  for (const [key, value] of Object.entries(rawVars as Record<string, unknown>)) {
    if (!isVarValue(value)) fail('INVALID_TYPE', `vars.${key}`, 'must be a string, number, boolean or JSON object');
    claim(key, `vars.${key}`, file);
    // TOML tables come back with a null prototype; hand the isolate plain JSON values.
    vars[key] = typeof value === 'object' ? (JSON.parse(JSON.stringify(value)) as object) : (value as VarValue);
  }

  const kvNamespaces: KvNamespaceConfig[] = [];
  const rawKv = raw['kv_namespaces'] ?? [];
  if (!Array.isArray(rawKv)) fail('INVALID_TYPE', 'kv_namespaces', 'must be an array of tables');
  (rawKv as unknown[]).forEach((item, index) => {
    const at = `kv_namespaces[${index}]`;
    if (!isTable(item)) return fail('INVALID_TYPE', at, 'must be a table with "binding" and "id"');
    const binding = item['binding'];
    if (typeof binding !== 'string') return fail('INVALID_TYPE', `${at}.binding`, 'must be a string');
    // wrangler dev accepts a namespace without an id and keys local state by the binding; so do we, with a warning.
    if (item['id'] === undefined) warnings.push(`${file}: ${at} has no "id"; local state uses the binding name "${binding}" as the namespace id`);
    const id = item['id'] ?? binding;
    if (typeof id !== 'string' || id === '') return fail('INVALID_TYPE', `${at}.id`, 'must be a non-empty string');
    claim(binding, `${at}.binding`, file);
    kvNamespaces.push({ binding, id });
  });

  const services: ServiceBindingConfig[] = [];
  const rawServices = raw['services'] ?? [];
  if (!Array.isArray(rawServices)) fail('INVALID_TYPE', 'services', 'must be an array of tables');
  (rawServices as unknown[]).forEach((item, index) => {
    const at = `services[${index}]`;
    if (!isTable(item)) return fail('INVALID_TYPE', at, 'must be a table with "binding" and "service"');
    const { binding, service, entrypoint } = item;
    if (typeof binding !== 'string') return fail('INVALID_TYPE', `${at}.binding`, 'must be a string');
    if (typeof service !== 'string' || service === '') return fail('INVALID_TYPE', `${at}.service`, 'must be the name of a worker');
    if (entrypoint !== undefined && (typeof entrypoint !== 'string' || !IDENTIFIER.test(entrypoint))) {
      return fail('INVALID_TYPE', `${at}.entrypoint`, 'must be the name of an export of the target worker');
    }
    if (item['environment'] !== undefined) warnings.push(`${file}: ${at}.environment is ignored; Islet has no named environments`);
    claim(binding, `${at}.binding`, file);
    services.push({ binding, service, ...(entrypoint !== undefined ? { entrypoint: entrypoint as string } : {}) });
  });

  const analyticsEngineDatasets: AnalyticsDatasetConfig[] = [];
  const rawDatasets = raw['analytics_engine_datasets'] ?? [];
  if (!Array.isArray(rawDatasets)) fail('INVALID_TYPE', 'analytics_engine_datasets', 'must be an array of tables');
  (rawDatasets as unknown[]).forEach((item, index) => {
    const at = `analytics_engine_datasets[${index}]`;
    if (!isTable(item)) return fail('INVALID_TYPE', at, 'must be a table with "binding" and "dataset"');
    const binding = item['binding'];
    if (typeof binding !== 'string') return fail('INVALID_TYPE', `${at}.binding`, 'must be a string');
    // As on Workers, a dataset not named is named after its binding.
    const dataset = item['dataset'] ?? binding;
    if (typeof dataset !== 'string' || !DATASET_NAME.test(dataset)) return fail('INVALID_TYPE', `${at}.dataset`, 'must be 1 to 64 letters, digits, "-" or "_"');
    claim(binding, `${at}.binding`, file);
    analyticsEngineDatasets.push({ binding, dataset });
  });

  const crons = readCrons(raw['triggers'], fail);
  const objects = readDurableObjects(raw, name, (key, problem) => fail('INVALID_TYPE', key, problem),
    (binding, key) => claim(binding, key, file), (text) => warnings.push(`${file}: ${text}`));
  const queues = readQueues(raw, (key, problem) => fail('INVALID_TYPE', key, problem), (binding, key) => claim(binding, key, file));

  // Overrides replace a var of the same name, but must not shadow a KV binding.
  const override = (entries: Record<string, string>, source: string): void => {
    for (const [key, value] of Object.entries(entries)) {
      if (!Object.hasOwn(vars, key)) claim(key, key, source);
      vars[key] = value;
    }
  };
  const devVarsPath = path.join(rootDir, '.dev.vars');
  if (options.readDevVars !== false && isFile(devVarsPath)) override(parseDotenv(fs.readFileSync(devVarsPath, 'utf8')), display(devVarsPath, cwd));
  if (options.vars !== undefined) override(options.vars, '--var');

  const limits = { ...DEFAULT_LIMITS };
  const rawLimits = raw['limits'] ?? {};
  if (!isTable(rawLimits)) fail('INVALID_TYPE', 'limits', 'must be a table/object');
  const cpuMs = (rawLimits as Record<string, unknown>)['cpu_ms'];
  if (cpuMs !== undefined) {
    // Workers accepts up to 5 minutes of CPU time per invocation (300,000 ms).
    if (typeof cpuMs !== 'number' || !Number.isInteger(cpuMs) || cpuMs <= 0 || cpuMs > MAX_CPU_MS) {
      fail('INVALID_TYPE', 'limits.cpu_ms', `must be a whole number of milliseconds from 1 to ${MAX_CPU_MS}`);
    }
    limits.cpuMs = cpuMs as number;
  }

  const routes = readRoutes(raw, fail);

  return { name, main, compatibilityDate, vars, kvNamespaces, analyticsEngineDatasets, ...objects, ...(hasQueues(queues) ? { queues } : {}), limits, routes, services, crons, configPath, rootDir, warnings };
}

/** `[triggers] crons = [...]`: each expression checked now, so a typo fails here and not at deploy time. */
function readCrons(triggers: unknown, fail: Fail): string[] {
  if (triggers === undefined) return [];
  if (!isTable(triggers)) return fail('INVALID_TYPE', 'triggers', 'must be a table with "crons"');
  const list = triggers['crons'] ?? [];
  if (!Array.isArray(list) || !list.every((item) => typeof item === 'string')) return fail('INVALID_TYPE', 'triggers.crons', 'must be an array of cron expressions');
  try {
    return parseCronList(list as string[]);
  } catch (err) {
    if (err instanceof CronExpressionError) return fail('INVALID_TYPE', 'triggers.crons', err.message);
    throw err;
  }
}

/**
 * wrangler's `route` (one) or `routes` (several), each a pattern string or a table with `pattern` and
 * `zone_name` / `zone_id` (which only matter to Cloudflare's DNS) or `custom_domain`. A custom domain
 * takes every path of its hostname, which as a route is `hostname/*`.
 */
function readRoutes(raw: Record<string, unknown>, fail: Fail): string[] {
  if (raw['route'] !== undefined && raw['routes'] !== undefined) {
    return fail('INVALID_TYPE', 'routes', 'and "route" are both set; use only one of them, as wrangler requires');
  }
  if (raw['route'] !== undefined) return [readRoute(raw['route'], 'route', fail)];
  const list = raw['routes'] ?? [];
  if (!Array.isArray(list)) return fail('INVALID_TYPE', 'routes', 'must be an array of patterns or tables with "pattern"');
  return (list as unknown[]).map((item, index) => readRoute(item, `routes[${index}]`, fail));
}

function readRoute(item: unknown, at: string, fail: Fail): string {
  if (typeof item === 'string') {
    if (item.trim() === '') fail('INVALID_TYPE', at, 'must be a non-empty route pattern like "example.com/*"');
    return item.trim();
  }
  if (!isTable(item)) return fail('INVALID_TYPE', at, 'must be a pattern string or a table with "pattern"');
  const pattern = item['pattern'];
  if (typeof pattern !== 'string' || pattern.trim() === '') return fail('INVALID_TYPE', `${at}.pattern`, 'must be a non-empty route pattern like "example.com/*"');
  const customDomain = item['custom_domain'];
  if (customDomain !== undefined && typeof customDomain !== 'boolean') return fail('INVALID_TYPE', `${at}.custom_domain`, 'must be true or false');
  for (const key of ['zone_name', 'zone_id'] as const) {
    if (item[key] !== undefined && typeof item[key] !== 'string') fail('INVALID_TYPE', `${at}.${key}`, 'must be a string');
  }
  const trimmed = pattern.trim();
  if (customDomain !== true) return trimmed;
  if (/[/*]/.test(trimmed)) return fail('INVALID_TYPE', `${at}.pattern`, 'of a custom domain must be a hostname, without a path or wildcard');
  return `${trimmed}/*`;
}

/** The dotenv format wrangler reads .dev.vars with: KEY=VALUE, optional quotes, # comments. */
export function parseDotenv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const line = /^[ \t]*(?:export[ \t]+)?([\w.-]+)[ \t]*=[ \t]*('(?:\\'|[^'])*'|"(?:\\"|[^"])*"|`(?:\\`|[^`])*`|[^#\r\n]*)?[ \t]*(?:#.*)?$/gm;
  for (const match of text.replace(/\r\n?/g, '\n').matchAll(line)) {
    const key = match[1] as string;
    let value = (match[2] ?? '').trim();
    const quote = value[0];
    if ((quote === '"' || quote === "'" || quote === '`') && value.length > 1 && value.endsWith(quote)) {
      value = value.slice(1, -1);
      if (quote === '"') value = value.replace(/\\n/g, '\n').replace(/\\r/g, '\r');
    }
    out[key] = value;
  }
  return out;
}

function parseConfigFile(configPath: string, file: string): unknown {
  const text = fs.readFileSync(configPath, 'utf8');
  if (configPath.endsWith('.toml')) {
    try {
      return parseToml(text);
    } catch (error) {
      if (!(error instanceof TomlError)) throw error;
      const reason = error.message.split('\n')[0] ?? error.message;
      throw new ConfigError('PARSE_ERROR', `${file}:${error.line}:${error.column}: ${reason}\n${error.codeblock}`);
    }
  }
  // wrangler parses .json as JSONC too, so comments and trailing commas are fine in both.
  const errors: jsonc.ParseError[] = [];
  const value: unknown = jsonc.parse(text, errors, { allowTrailingComma: true });
  const first = errors[0];
  if (first !== undefined) {
    const before = text.slice(0, first.offset).split('\n');
    const column = (before[before.length - 1]?.length ?? 0) + 1;
    throw new ConfigError('PARSE_ERROR', `${file}:${before.length}:${column}: ${jsonc.printParseErrorCode(first.error)}`);
  }
  return value;
}

type Fail = (code: ConfigErrorCode, key: string, problem: string) => never;

function optionalString(raw: Record<string, unknown>, key: string, fail: Fail): string | undefined {
  const value = raw[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') return fail('INVALID_TYPE', key, 'must be a non-empty string');
  return value;
}

function readCompatibilityDate(value: unknown, fail: Fail): string | null {
  if (value === undefined) return null;
  // An unquoted TOML date parses as a date object; accept it rather than make users quote it.
  const text = value instanceof Date ? value.toISOString().slice(0, 10) : value;
  if (typeof text !== 'string' || !COMPAT_DATE.test(text)) return fail('INVALID_TYPE', 'compatibility_date', 'must be a date string like "2024-09-23"');
  return text;
}

function isTable(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

function isVarValue(value: unknown): boolean {
  return ['string', 'number', 'boolean'].includes(typeof value) || (typeof value === 'object' && value !== null);
}

function isFile(file: string): boolean {
  return fs.statSync(file, { throwIfNoEntry: false })?.isFile() ?? false;
}

function display(file: string, cwd: string): string {
  const relative = path.relative(cwd, file);
  return relative === '' || relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
}
