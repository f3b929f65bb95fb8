// The islet command line: a thin layer over the host's public API.
import { readFileSync } from 'node:fs';
import { UsageError } from './args.js';
import { dev } from './commands/dev.js';
import { kv } from './commands/kv.js';
import { start } from './commands/start.js';
import { describeError } from './errors.js';

const HELP = `islet: a self-hosted runtime for Workers-style JavaScript and TypeScript in V8 isolates

Usage:
  islet dev [ENTRY] [options]        serve one worker locally, reloading on change
  islet kv key put|get|list|delete   read and write a KV namespace's local state
  islet start [options]              serve the example workers (what npm start runs)

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
    case 'start': return start(rest);
    case '--version': case '-v': process.stdout.write(`islet ${version()}\n`); return 0;
    case undefined: case 'help': case '--help': case '-h': process.stdout.write(HELP); return 0;
    default: throw new UsageError(`Unknown command "${command}". Commands: dev, kv, start.`);
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

