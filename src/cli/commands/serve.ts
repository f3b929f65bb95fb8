// islet serve: the multi-tenant server. Tenants' traffic on one port, the admin API (deploys,
// versions, routes, secrets, KV) on another, isolates in engine processes under a supervisor.
import { availableParallelism } from 'node:os';
import { JsonLog } from '../../host/observability/logs/json-log.js';
import { TextRequestLog } from '../../host/observability/logs/text-request-log.js';
import { sampleLogs } from '../../host/observability/logs/log-sampling.js';
import { TextLogSink, type LogSink } from '../../host/observability/log-sink.js';
import type { PlatformObserver } from '../../host/observability/platform-observer.js';
import { parseLogFormat, readServeConfig, ServeConfigError, type LogFormat } from '../../host/platform/serve-config.js';
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
  --log-format F     json: one JSON object per line on stdout for each request, console line and error
                     (default); pretty: readable lines on stderr
`;

/** The request log and the sink of workers' lines, in the format asked for, sampled as configured. */
function logsFor(format: LogFormat, sampling: number): { log: LogSink; observer: PlatformObserver; flush(): Promise<void> } {
  if (format === 'pretty') {
    const { log, requests } = sampleLogs(new TextLogSink(), new TextRequestLog(), sampling);
    return { log, observer: requests, flush: async () => {} };
  }
  const json = new JsonLog();
  const { log, requests } = sampleLogs(json, json, sampling);
  // A reader of stdout that stalls must not keep the server from exiting.
  return { log, observer: requests, flush: () => Promise.race([json.flush(), new Promise<void>((resolve) => setTimeout(resolve, 2_000).unref())]) };
}

function logFormatFlag(value: string | undefined): LogFormat | undefined {
  if (value === undefined) return undefined;
  try {
    return parseLogFormat('--log-format', value);
  } catch (err) {
    if (err instanceof ServeConfigError) throw new UsageError(err.message);
    throw err;
  }
}

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
    engines: { type: 'string' }, token: { type: 'string' }, 'log-format': { type: 'string' }, help: { type: 'boolean', short: 'h' },
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
    logFormat: logFormatFlag(values['log-format']),
  });
  const logs = logsFor(config.observability.logFormat, config.observability.requestLogSampling ?? 1);
  const running = await startServe(config, logs.log, (err) => process.stderr.write(`${describeError(err)}\n`), { observers: [logs.observer] })
    .catch((err: unknown) => {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EADDRINUSE' && code !== 'EACCES' && code !== 'EADDRNOTAVAIL') throw err;
      throw new UsageError(`Cannot listen: ${(err as Error).message}. Choose other ports or addresses (--port, --admin-port, --ip, --admin-ip, or the config file); the tenant and admin ports must differ.`);
    });
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
    await logs.flush();
  });
  return 0;
}
