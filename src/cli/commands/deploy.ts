// islet deploy [ENTRY] [options]: bundles a Workers project as `islet dev` does and sends it to a running
// `islet serve` as a new version. The server loads the module before it takes traffic, so a deploy
// that fails changes nothing, and this command shows the server's error (the tenant's file and line).
import { relative } from 'node:path';
import type { DeployConfig, ServeLimits } from '../../host/control/model.js';
import { bundleWorker } from '../../host/workers/bundle-worker.js';
import { readWorkerConfig } from '../../host/workers/read-wrangler-config.js';
import { DEFAULT_LIMITS, type WorkerLimits } from '../../host/workers/worker-config.js';
import { AdminError, type DeployRequest } from '../admin-client.js';
import { formatBytes, formatTraffic } from '../admin-format.js';
import { ADMIN_OPTIONS, ADMIN_OPTIONS_HELP, adminClient, printJson } from '../admin-options.js';
import type { DeployResult, Sticky } from '../admin-responses.js';
import { UsageError, parse, parseVars } from '../args.js';

export const DEPLOY_HELP = `islet deploy [ENTRY] [options]

Bundles the worker (wrangler.toml / wrangler.json(c): name, main, compatibility_date, vars,
kv_namespaces, durable_objects, migrations, analytics_engine_datasets, services, [triggers] crons, [limits], routes) and deploys it to islet serve as a new version. The server loads the
new version before it takes traffic: if its module fails, nothing changes. Routes belong to the
worker, not to a version: a config with routes replaces the worker's (whatever --percent says), one
without keeps them, and a rollback leaves them as they are.

Options:
  --config FILE        the wrangler config (default: found from the current directory)
  --name NAME          the worker's name (default: "name" in the config)
  --tenant T           the tenant whose KV namespaces the worker uses (default: the worker's name);
                       fixed by the worker's first deploy, which must name it to join a tenant
                       other workers already have
  --percent P          send P% of requests to the new version, the rest to the version serving most
                       (a gradual rollout; default 100)
  --sticky-header H    during a split, keep each client on one version by the value of header H
  --sticky-cookie C    during a split, keep each client on one version by the value of cookie C
  --message M          a note stored with the version
  --var KEY:VALUE      set or override a var (repeatable); .dev.vars is not deployed
${ADMIN_OPTIONS_HELP}`;

/** The server refuses bundles above this (docs/admin-api.md); checked here so nothing is uploaded in vain. */
const MAX_CODE_BYTES = 25 * 1024 * 1024;
/** Above this, the upload shows its progress on a terminal. */
const LARGE_UPLOAD_BYTES = 1024 * 1024;

const LIMIT_KEYS = ['cpuMs', 'wallMs', 'memoryMb', 'subrequests'] as const satisfies readonly (keyof WorkerLimits)[];

export async function deploy(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    ...ADMIN_OPTIONS,
    config: { type: 'string', short: 'c' },
    name: { type: 'string' },
    tenant: { type: 'string' },
    percent: { type: 'string' },
    'sticky-header': { type: 'string' },
    'sticky-cookie': { type: 'string' },
    message: { type: 'string', short: 'm' },
    var: { type: 'string', multiple: true },
  });
  if (values.help === true) { process.stdout.write(DEPLOY_HELP); return 0; }
  if (positionals.length > 1) throw new UsageError(`islet deploy takes one entry file, got: ${positionals.join(' ')}`);
  const percent = values.percent === undefined ? undefined : parsePercent(values.percent);
  const sticky = stickyFrom(values['sticky-header'], values['sticky-cookie']);
  const vars = parseVars(values.var);
  const client = adminClient(values);
  const say = (line: string) => process.stderr.write(`${line}\n`);

  const cwd = process.cwd();
  const config = readWorkerConfig({
    cwd, vars, readDevVars: false,
    ...(values.config !== undefined ? { configPath: values.config } : {}),
    ...(positionals[0] !== undefined ? { entry: positionals[0] } : {}),
  });
  for (const warning of config.warnings) say(`Warning: ${warning}`);
  const name = values.name ?? config.name;

  say(`Bundling ${relative(cwd, config.main) || config.main}...`);
  const bundleStart = performance.now();
  const bundle = await bundleWorker(config);
  for (const warning of bundle.warnings) say(`Warning: ${warning}`);
  const codeBytes = Buffer.byteLength(bundle.code, 'utf8');
  if (codeBytes > MAX_CODE_BYTES) {
    throw new UsageError(`The bundle is ${formatBytes(codeBytes)}; a worker may be at most ${formatBytes(MAX_CODE_BYTES)}. Check for large dependencies or embedded files.`);
  }
  const mapBytes = bundle.sourceMap === null ? 0 : Buffer.byteLength(bundle.sourceMap, 'utf8');
  say(`Bundled in ${(performance.now() - bundleStart).toFixed(0)} ms: ${formatBytes(codeBytes)}${mapBytes > 0 ? ` (source map ${formatBytes(mapBytes)})` : ''}`);

  const versionConfig: DeployConfig = {
    compatibilityDate: config.compatibilityDate,
    vars: config.vars,
    kvNamespaces: config.kvNamespaces,
    analyticsEngineDatasets: config.analyticsEngineDatasets ?? [],
    limits: limitsSet(config.limits),
    // As wrangler: a config without routes leaves the worker's routes as they are.
    ...(config.routes.length > 0 ? { routes: config.routes } : {}),
    services: config.services,
    crons: config.crons,
    ...(config.queues !== undefined ? { queues: config.queues } : {}),
    ...((config.durableObjects ?? []).length > 0 ? { durableObjects: config.durableObjects! } : {}),
    ...((config.durableObjectMigrations ?? []).length > 0 ? { durableObjectMigrations: config.durableObjectMigrations! } : {}),
  };
  const request: DeployRequest = {
    code: bundle.code,
    sourceMap: bundle.sourceMap,
    config: versionConfig,
    ...(values.tenant !== undefined ? { tenant: values.tenant } : {}),
    ...(values.message !== undefined ? { message: values.message } : {}),
    ...(percent !== undefined ? { percent } : {}),
    ...(sticky !== undefined ? { sticky } : {}),
  };
  say(`Uploading ${name} to ${client.url}...`);
  const progress = process.stderr.isTTY
    ? (sent: number, total: number) => {
      if (total < LARGE_UPLOAD_BYTES) return;
      process.stderr.write(`\rUploaded ${formatBytes(sent)} of ${formatBytes(total)} (${Math.floor((sent / total) * 100)}%)${sent === total ? '\n' : ''}`);
    }
    : undefined;
  const started = performance.now();
  let result: DeployResult;
  try {
    result = await client.deploy(name, request, progress);
  } catch (err) {
    if (err instanceof AdminError && err.code === 'deploy_failed') {
      throw new AdminError(err.code, `The new version of ${name} failed to load, so nothing was deployed (a version already serving keeps serving):\n${err.message}`, err.status);
    }
    throw err;
  }
  const ms = performance.now() - started;
  for (const warning of result.warnings) say(`Warning: ${warning}`);
  if (values.json === true) { printJson(result); return 0; }
  const { version, worker } = result;
  const lines = [
    `Deployed ${name} version ${version.number} (${version.id}) in ${ms.toFixed(0)} ms`,
    `  Routes:  ${worker.routes.length > 0 ? worker.routes.join(', ') : 'none'}`,
    `  Traffic: ${formatTraffic(worker.deployment ?? result.deployment, new Map([[version.id, version.number]]))}`,
  ];
  if (worker.tenant !== name) lines.push(`  Tenant:  ${worker.tenant}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

function parsePercent(text: string): number {
  const percent = Number(text);
  // 0 would deploy a version that takes no traffic; the server takes 1 to 100.
  if (!/^\d+$/.test(text) || percent < 1 || percent > 100) throw new UsageError(`--percent expects a whole number from 1 to 100, got "${text}"`);
  return percent;
}

function stickyFrom(header: string | undefined, cookie: string | undefined): Sticky | undefined {
  if (header !== undefined && cookie !== undefined) throw new UsageError('Give --sticky-header or --sticky-cookie, not both.');
  if (header === '' || cookie === '') throw new UsageError('--sticky-header and --sticky-cookie need a name.');
  if (header !== undefined) return { header };
  if (cookie !== undefined) return { cookie };
  return undefined;
}

/**
 * Only the limits the config changed from the defaults: the rest are the server's to decide, so a
 * server configured with other defaults applies them to this worker too.
 */
function limitsSet(limits: WorkerLimits): Partial<ServeLimits> {
  const set: Partial<ServeLimits> = {};
  for (const key of LIMIT_KEYS) if (limits[key] !== DEFAULT_LIMITS[key]) set[key] = limits[key];
  return set;
}
