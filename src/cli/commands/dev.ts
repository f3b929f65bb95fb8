// islet dev [ENTRY] [--config FILE] [--port N] [--ip ADDR] [--persist-to DIR] [--var KEY:VALUE] [--outbound HOST=URL]
//           [--allow-egress CIDR|HOST]
import { mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { NAME_PATTERN, NAME_RULE } from '../../host/control/model.js';
import { Islet } from '../../host/islet.js';
import type { ResidentWorker } from '../../host/isolates/resident-worker.js';
import { TextLogSink } from '../../host/observability/log-sink.js';
import { isLoopback, resolveAdminToken } from '../../host/server/admin/admin-token.js';
import { DEV_DASHBOARD_PATH, DevDashboard } from '../../host/server/dashboard/dev-dashboard.js';
import { withRequestLog } from '../../host/observability/logs/text-request-log.js';
import { createHttpFront, listen } from '../../host/server/http-front.js';
import { DevGroup } from '../../host/workers/dev-group.js';
import { DevWorker } from '../../host/workers/dev-worker.js';
import { readWorkerConfig } from '../../host/workers/read-wrangler-config.js';
import { bindingLines } from '../binding-list.js';
import { UsageError, parse, parseAllowEgress, parseOutbound, parsePort, parseVars } from '../args.js';
import { describeError } from '../errors.js';
import { onShutdown } from '../shutdown.js';

export const DEV_HELP = `islet dev [ENTRY] [options]

Serves one worker locally and reloads it when its files change.

Options:
  --config FILE        wrangler.toml / wrangler.json / wrangler.jsonc (default: found from the current directory);
                       repeat it to run more workers beside the first, reachable through service bindings
  --test-scheduled     GET /__scheduled?cron=... runs the worker's scheduled() handler now
  --port N             port to listen on (default 8787; 0 picks a free one)
  --ip ADDR            address to listen on (default 127.0.0.1)
  --persist-to DIR     where local state (KV) is kept (default: .islet next to the config)
  --var KEY:VALUE      set or override a var (repeatable)
  --outbound HOST=URL  send the worker's subrequests for HOST to URL instead (repeatable)
  --allow-egress CIDR|HOST
                       let subrequests reach this network or host (repeatable); by default they reach
                       public addresses only, not loopback, private or link-local ones
`;

export async function dev(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    config: { type: 'string', short: 'c', multiple: true },
    'test-scheduled': { type: 'boolean' },
    port: { type: 'string', short: 'p' },
    ip: { type: 'string' },
    'persist-to': { type: 'string' },
    var: { type: 'string', multiple: true },
    outbound: { type: 'string', multiple: true },
    'allow-egress': { type: 'string', multiple: true },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help === true) { process.stdout.write(DEV_HELP); return 0; }
  const cwd = process.cwd();
  const vars = parseVars(values.var);
  const port = parsePort(values.port, 8787);
  const egress = { allow: parseAllowEgress(values['allow-egress']) };
  const ip = values.ip ?? '127.0.0.1';
  const loadConfig = () => readWorkerConfig({
    cwd, vars,
    ...(values.config?.[0] !== undefined ? { configPath: values.config[0] } : {}),
    ...(positionals[0] !== undefined ? { entry: positionals[0] } : {}),
  });
  const first = loadConfig();
  const dataDir = values['persist-to'] ?? join(first.rootDir, '.islet');
  const say = (line: string) => process.stderr.write(`${line}\n`);
  // The dashboard shows the worker's traffic and logs, so it is served on loopback only, behind a
  // token kept in the data directory (ISLET_ADMIN_TOKEN if set), as islet serve's admin API is.
  let dashboard: DevDashboard | null = null;
  let tokenFile: string | null = null;
  if (isLoopback(ip)) {
    mkdirSync(dataDir, { recursive: true });
    const resolved = resolveAdminToken(process.env.ISLET_ADMIN_TOKEN ?? null, ip, dataDir);
    tokenFile = resolved.file;
    dashboard = new DevDashboard(resolved.token, {
      name: (): string => worker.config?.name ?? first.name,
      current: (): ResidentWorker | null => worker.current,
    }, (err) => say(describeError(err)));
  }
  const log = new TextLogSink();
  const islet = new Islet({ dataDir, outboundRoutes: parseOutbound(values.outbound), egress, log: dashboard?.sink(log) ?? log });
  const worker = new DevWorker(islet, loadConfig, {
    onReload: (file) => say(`Change in ${relative(cwd, file) || file}, reloading...`),
    onReloaded: (_config, ms) => { dashboard?.reloaded(); say(`Reloaded in ${ms.toFixed(0)} ms`); },
    onError: (err) => say(`Reload failed; the previous version keeps serving.\n${describeError(err)}`),
    onWarnings: (warnings) => { for (const w of warnings) say(`Warning: ${w}`); },
  });
  try {
    await worker.start();
  } catch (err) {
    worker.close();
    islet.close();
    throw err;
  }
  // Further configs (-c a -c b) run beside the served worker, for its service bindings.
  const others: DevWorker[] = [];
  try {
    for (const configPath of values.config?.slice(1) ?? []) {
      const other = new DevWorker(islet, () => readWorkerConfig({ cwd, vars, configPath }), {
        onError: (err) => say(`Reload of ${configPath} failed; its previous version keeps serving.\n${describeError(err)}`),
      });
      others.push(other);
      await other.start();
    }
  } catch (err) {
    for (const w of [worker, ...others]) w.close();
    islet.close();
    throw err;
  }
  const group = new DevGroup(islet, [worker, ...others], { testScheduled: values['test-scheduled'] === true, say });
  const target = withRequestLog(dashboard?.target(worker) ?? worker, say);
  const server = createHttpFront({
    route: (_host, path) => group.route(path) ?? target, onError: (err) => say(describeError(err)),
    ...(dashboard !== null ? { intercept: (req, res) => dashboard.intercept(req, res) } : {}),
  });
  let address: Awaited<ReturnType<typeof listen>>;
  try {
    address = await listen(server, port, ip);
  } catch (err) {
    // Nothing may keep the process alive after this (the file watcher would).
    worker.close();
    islet.close();
    throw new UsageError(`Cannot listen on ${ip}:${port}: ${(err as Error).message}. Choose another --port or --ip.`);
  }
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const bindings = bindingLines(first).map((line) => `  ${line}`);
  say(`Serving ${first.name} from ${relative(cwd, first.main) || first.main}`);
  // Served all the same, as wrangler dev does; said now rather than at the first deploy.
  if (!NAME_PATTERN.test(first.name)) say(`Note: islet deploy will refuse the name "${first.name}": a worker name is ${NAME_RULE}.`);
  if (bindings.length > 0) say(`Bindings:\n${bindings.join('\n')}\nLocal state in ${relative(cwd, dataDir) || dataDir}`);
  if (dashboard !== null) {
    dashboard.start();
    say(`Dashboard on http://${shown}:${address.port}${DEV_DASHBOARD_PATH}${tokenFile === null ? ' (token: ISLET_ADMIN_TOKEN)' : ` (token in ${relative(cwd, tokenFile) || tokenFile})`}`);
  }
  process.stdout.write(`Ready on http://${shown}:${address.port}\n`);
  await onShutdown(async () => {
    dashboard?.stop();
    group.close();
    for (const other of others) other.close();
    worker.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    islet.close();
  });
  return 0;
}
