// islet serve: the multi-tenant server. Tenants' traffic on one port, the admin API (deploys,
// versions, routes, secrets, KV) on another, isolates in engine processes under a supervisor.
import { availableParallelism } from 'node:os';
import { TextLogSink } from '../../host/observability/log-sink.js';
import { readServeConfig } from '../../host/platform/serve-config.js';
import { startServe } from '../../host/server/serve-servers.js';
import { UsageError, parse, parsePort } from '../args.js';
import { describeError } from '../errors.js';
import { onShutdown } from '../shutdown.js';

export const SERVE_HELP = `islet serve [options]

Runs the multi-tenant server: workers are deployed to it with "islet deploy" over its admin API.

Options:
  --config FILE      server config (TOML or JSON): ports, data directory, engines, default limits, pool
  --port N           port for tenants' traffic (default 8787; 0 picks a free one)
  --ip ADDR          address for tenants' traffic (default 127.0.0.1)
  --admin-port N     port for the admin API (default 8788)
  --admin-ip ADDR    address for the admin API (default 127.0.0.1; beyond loopback a token is required)
  --data DIR         where deployments, versions and KV data are kept (default .islet)
  --engines K        engine processes running the isolates (default: ${availableParallelism()}, the number of cores;
                     0 runs them in this process, without crash containment)
  --token TOKEN      admin token (default: ISLET_ADMIN_TOKEN; on loopback one is generated if unset)
`;

function parseCount(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 256) throw new UsageError(`--${name} expects a number from 0 to 256, got "${value}"`);
  return n;
}

export async function serve(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    config: { type: 'string', short: 'c' }, port: { type: 'string', short: 'p' }, ip: { type: 'string' },
    'admin-port': { type: 'string' }, 'admin-ip': { type: 'string' }, data: { type: 'string' },
    engines: { type: 'string' }, token: { type: 'string' }, help: { type: 'boolean', short: 'h' },
  });
  if (values.help === true) { process.stdout.write(SERVE_HELP); return 0; }
  if (positionals.length > 0) throw new UsageError(`islet serve takes no positional arguments, got "${positionals.join(' ')}"`);
  const config = readServeConfig(process.cwd(), {
    config: values.config,
    ip: values.ip,
    port: values.port === undefined ? undefined : parsePort(values.port, 8787),
    adminIp: values['admin-ip'],
    adminPort: values['admin-port'] === undefined ? undefined : parsePort(values['admin-port'], 8788),
    data: values.data,
    engines: parseCount(values.engines, 'engines'),
    token: values.token,
  });
  const running = await startServe(config, new TextLogSink(), (err) => process.stderr.write(`${describeError(err)}\n`));
  const workers = running.platform.store.listWorkers().length;
  process.stdout.write([
    `Islet is serving ${workers} worker${workers === 1 ? '' : 's'} with ${config.engines === 0 ? 'isolates in-process' : `${config.engines} engine process${config.engines === 1 ? '' : 'es'}`}; data in ${config.dataDir}`,
    `Admin API on ${running.adminUrl}${running.tokenFile === null ? '' : ` (token in ${running.tokenFile})`}`,
    `Ready on ${running.tenantUrl}`,
    '',
  ].join('\n'));
  await onShutdown(async () => {
    process.stdout.write('Stopping: finishing requests in flight...\n');
    await running.close();
  });
  return 0;
}
