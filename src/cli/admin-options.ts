// Options every admin command takes (where the server is, the token, --json), and the one way a
// command finds which worker it is about: its argument, else the name in the wrangler config here.
import { findConfig, readWorkerConfig } from '../host/workers/read-wrangler-config.js';
import { AdminClient, AdminError } from './admin-client.js';
import { UsageError } from './args.js';

export const ADMIN_OPTIONS = {
  server: { type: 'string' },
  token: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const ADMIN_OPTIONS_HELP = `  --server URL         the admin API of islet serve (default: $ISLET_SERVER, else http://127.0.0.1:8788)
  --token TOKEN        the admin token (default: $ISLET_ADMIN_TOKEN)
  --json               print the server's answer as JSON, for scripts
`;

export function adminClient(values: { server?: string | undefined; token?: string | undefined }): AdminClient {
  try {
    return new AdminClient({ server: values.server, token: values.token });
  } catch (err) {
    if (err instanceof AdminError) throw new UsageError(err.message);
    throw err;
  }
}

/** The worker a command is about: the NAME argument, else `name` from the wrangler config found from here. */
export function workerName(positional: string | undefined, values: { config?: string | undefined; name?: string | undefined }, usage: string): string {
  const named = positional ?? values.name;
  if (named !== undefined) {
    if (named === '') throw new UsageError(`The worker name is empty. Usage: ${usage}`);
    return named;
  }
  const cwd = process.cwd();
  if (values.config === undefined && findConfig(cwd) === null) {
    throw new UsageError(`Say which worker (no wrangler config here to take the name from). Usage: ${usage}`);
  }
  return readWorkerConfig({ cwd, requireMain: false, ...(values.config !== undefined ? { configPath: values.config } : {}) }).name;
}

/** Writes `value` as the command's JSON output. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
