// The islet command line: a thin layer over the host's public API.
import { readFileSync } from 'node:fs';
import { UsageError } from './args.js';
import { analytics } from './commands/analytics.js';
import { deploy } from './commands/deploy.js';
import { dev } from './commands/dev.js';
import { kv } from './commands/kv.js';
import { rollback } from './commands/rollback.js';
import { secret } from './commands/secret.js';
import { serve } from './commands/serve.js';
import { start } from './commands/start.js';
import { tail } from './commands/tail.js';
import { versions } from './commands/versions.js';
import { workers } from './commands/workers.js';
import { describeError } from './errors.js';

const HELP = `islet: a self-hosted runtime for Workers-style JavaScript and TypeScript in V8 isolates

Usage:
  islet dev [ENTRY] [options]        serve one worker locally, reloading on change
  islet kv key put|get|list|delete   read and write a KV namespace's local state
  islet kv bulk put|delete FILE      write or delete many keys from a JSON file (wrangler's format)
  islet serve [options]              run the multi-tenant server (deploys, versions, routes, engines)
  islet start [options]              serve the example workers (what npm start runs)

On islet serve, over its admin API (--server URL, --token TOKEN):
  islet deploy [ENTRY] [options]     bundle a worker and deploy it as a new version
  islet workers list|get|delete      the workers the server runs
  islet versions list|get            a worker's versions and their traffic
  islet rollback [NAME]              send all traffic back to an earlier version
  islet secret put|list|delete       a worker's secrets
  islet tail [NAME]                  a worker's requests and console output, live
  islet kv key|bulk ... --server URL read and write a worker's KV namespace on the server
  islet analytics query "SELECT ..." Analytics Engine SQL over a tenant's data points (--local: islet dev's)

Run "islet <command> --help" for a command's options.
`;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'dev': return dev(rest);
    case 'kv': return kv(rest);
    case 'analytics': return analytics(rest);
    case 'serve': return serve(rest);
    case 'start': return start(rest);
    case 'deploy': return deploy(rest);
    case 'workers': return workers(rest);
    case 'versions': return versions(rest);
    case 'rollback': return rollback(rest);
    case 'secret': return secret(rest);
    case 'tail': return tail(rest);
    case '--version': case '-v': process.stdout.write(`islet ${version()}\n`); return 0;
    case undefined: case 'help': case '--help': case '-h': process.stdout.write(HELP); return 0;
    default: throw new UsageError(`Unknown command "${command}". Commands: dev, kv, serve, start, deploy, workers, versions, rollback, secret, tail, analytics.`);
  }
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    process.stderr.write(`✘ ${describeError(err)}\n`);
    if (err instanceof UsageError) process.stderr.write('Run "islet --help" for usage.\n');
    process.exitCode = 1;
  },
);

