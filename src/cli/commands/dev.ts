// islet dev [ENTRY] [--config FILE] [--port N] [--ip ADDR] [--persist-to DIR] [--var KEY:VALUE] [--outbound HOST=URL]
//           [--allow-egress CIDR|HOST]
import { join, relative } from 'node:path';
import { Islet } from '../../host/islet.js';
import { createHttpFront, listen } from '../../host/server/http-front.js';
import { DevWorker } from '../../host/workers/dev-worker.js';
import { readWorkerConfig } from '../../host/workers/read-wrangler-config.js';
import { UsageError, parse, parseAllowEgress, parseOutbound, parsePort, parseVars } from '../args.js';
import { describeError } from '../errors.js';
import { onShutdown } from '../shutdown.js';

export const DEV_HELP = `islet dev [ENTRY] [options]

Serves one worker locally and reloads it when its files change.

Options:
  --config FILE        wrangler.toml / wrangler.json / wrangler.jsonc (default: found from the current directory)
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
    config: { type: 'string', short: 'c' },
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
    ...(values.config !== undefined ? { configPath: values.config } : {}),
    ...(positionals[0] !== undefined ? { entry: positionals[0] } : {}),
  });
  const first = loadConfig();
  const dataDir = values['persist-to'] ?? join(first.rootDir, '.islet');
  const islet = new Islet({ dataDir, outboundRoutes: parseOutbound(values.outbound), egress });
  const say = (line: string) => process.stderr.write(`${line}\n`);
  const worker = new DevWorker(islet, loadConfig, {
    onReload: (file) => say(`Change in ${relative(cwd, file) || file}, reloading...`),
    onReloaded: (_config, ms) => say(`Reloaded in ${ms.toFixed(0)} ms`),
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
  const server = createHttpFront({ route: () => worker, onError: (err) => say(describeError(err)) });
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
  const bindings = first.kvNamespaces.map((ns) => `  env.${ns.binding} (KV namespace ${ns.id})`);
  say(`Serving ${first.name} from ${relative(cwd, first.main) || first.main}`);
  if (bindings.length > 0) say(`Bindings:\n${bindings.join('\n')}\nLocal state in ${relative(cwd, dataDir) || dataDir}`);
  process.stdout.write(`Ready on http://${shown}:${address.port}\n`);
  await onShutdown(async () => {
    worker.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    islet.close();
  });
  return 0;
}
