// islet start: every example worker under examples/, each on its own route (/<name>), on embedded
// SQLite, with a ready-to-paste curl for each. This is what `npm start` runs.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Islet } from '../../host/islet.js';
import type { ResidentWorker } from '../../host/isolates/resident-worker.js';
import { withRequestLog } from '../../host/observability/logs/text-request-log.js';
import { PrefixRouter } from '../../host/router/prefix-router.js';
import { createHttpFront, listen } from '../../host/server/http-front.js';
import { warmMapped } from '../../host/workers/dev-worker.js';
import { readWorkerConfig } from '../../host/workers/read-wrangler-config.js';
import { UsageError, parse, parseAllowEgress, parsePort } from '../args.js';
import { describeError } from '../errors.js';
import { onShutdown } from '../shutdown.js';
import { seedExample } from '../seed-example.js';

export const START_HELP = `islet start [options]

Serves the example workers in examples/, each under /<name>, with local state in .islet/.

Options:
  --port N          port to listen on (default 8787)
  --ip ADDR         address to listen on (default 127.0.0.1)
  --persist-to DIR  where local state is kept (default: .islet)
  --examples DIR    folder of example projects (default: the examples/ shipped with Islet)
  --allow-egress CIDR|HOST
                    let subrequests reach this network or host (repeatable); by default they reach
                    public addresses and the example services only
`;

interface TryRequest { method?: string; path?: string; body?: unknown }
interface ExampleMeta { description?: string; try?: TryRequest[]; outboundHost?: string }

function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return dir;
}

function curlFor(base: string, name: string, request: TryRequest): string {
  const url = `${base}/${name}${request.path ?? ''}`;
  if (request.body === undefined) return `curl '${url}'`;
  return `curl -X ${request.method ?? 'POST'} '${url}' -H 'content-type: application/json' -d '${JSON.stringify(request.body)}'`;
}

export async function start(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    port: { type: 'string', short: 'p' }, ip: { type: 'string' }, 'persist-to': { type: 'string' },
    examples: { type: 'string' }, 'allow-egress': { type: 'string', multiple: true }, help: { type: 'boolean', short: 'h' },
  });
  if (values.help === true) { process.stdout.write(START_HELP); return 0; }
  const examplesDir = values.examples ?? join(packageRoot(), 'examples');
  const dataDir = values['persist-to'] ?? join(process.cwd(), '.islet');
  const ip = values.ip ?? '127.0.0.1';
  const egress = { allow: parseAllowEgress(values['allow-egress']) };
  // Filled in once the server listens; route targets are always reachable, so the examples can call
  // their sibling services on this (loopback) server.
  const outboundRoutes = new Map<string, string>();
  const islet = new Islet({ dataDir, outboundRoutes, egress });

  const mounted: { name: string; worker: ResidentWorker; meta: ExampleMeta }[] = [];
  for (const entry of readdirSync(examplesDir, { withFileTypes: true }).filter((e) => e.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
    const dir = join(examplesDir, entry.name);
    try {
      const config = readWorkerConfig({ cwd: dir });
      const loaded = await islet.loadProject(config);
      warmMapped(loaded);
      const { worker } = loaded;
      await seedExample(islet, dir, config);
      const metaPath = join(dir, 'example.json');
      const meta = existsSync(metaPath) ? JSON.parse(readFileSync(metaPath, 'utf8')) as ExampleMeta : {};
      mounted.push({ name: config.name, worker, meta });
      // The examples may call each other through service bindings, by their config names.
      islet.registerService(config.name, worker);
    } catch (err) {
      process.stderr.write(`Skipping example ${entry.name}: ${describeError(err)}\n`);
    }
  }
  if (mounted.length === 0) {
    islet.close();
    process.stderr.write(`No example workers could be loaded from ${examplesDir}.\n`);
    return 1;
  }
  // One line per request on stderr, as islet dev prints them, prefixed with the example's name.
  const router = new PrefixRouter(mounted.map((m) => ({
    prefix: `/${m.name}`,
    target: withRequestLog(m.worker, (line) => process.stderr.write(`[${m.name}] ${line}\n`)),
  })));
  const server = createHttpFront({ route: (_host, path) => router.match(path), onError: (err) => process.stderr.write(`${describeError(err)}\n`) });
  const port = parsePort(values.port, 8787);
  let address: Awaited<ReturnType<typeof listen>>;
  try {
    address = await listen(server, port, ip);
  } catch (err) {
    for (const m of mounted) m.worker.dispose();
    islet.close();
    throw new UsageError(`Cannot listen on ${ip}:${port}: ${(err as Error).message}. Choose another --port or --ip.`);
  }
  const base = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  for (const m of mounted) if (m.meta.outboundHost !== undefined) outboundRoutes.set(m.meta.outboundHost, `${base}/${m.name}`);

  const out: string[] = [`Islet is serving ${mounted.length} example workers from ${examplesDir}`, `Local state (SQLite) in ${dataDir}`, ''];
  for (const m of mounted) {
    out.push(`${m.name}: ${base}/${m.name}${m.meta.description ? `  (${m.meta.description})` : ''}`);
    for (const request of m.meta.try ?? [{}]) out.push(`  ${curlFor(base, m.name, request)}`);
  }
  out.push('', `Ready on ${base}`, '');
  process.stdout.write(out.join('\n'));
  await onShutdown(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    for (const m of mounted) m.worker.dispose();
    islet.close();
  });
  return 0;
}
