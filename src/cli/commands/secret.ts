// islet secret put|list|delete: a worker's secrets on islet serve. They reach the worker as `env.KEY`
// like vars, but live only on the server: the value is read from stdin or a hidden prompt, never from
// the command line, and the server never sends it back.
import { formatTable } from '../admin-format.js';
import { ADMIN_OPTIONS, ADMIN_OPTIONS_HELP, adminClient, printJson } from '../admin-options.js';
import { UsageError, parse } from '../args.js';
import { readSecretValue } from '../read-secret.js';

export const SECRET_HELP = `islet secret <command> [options]

Commands:
  put NAME KEY      set secret KEY of worker NAME; the value is read from stdin (piped, or typed at a
                    prompt that does not echo it); it takes effect on the worker's next request
  list NAME         the names of worker NAME's secrets (values are never shown)
  delete NAME KEY   delete secret KEY of worker NAME

Options:
${ADMIN_OPTIONS_HELP}`;

export async function secret(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h') { process.stdout.write(SECRET_HELP); return 0; }
  const { values, positionals } = parse(rest, ADMIN_OPTIONS);
  if (values.help === true) { process.stdout.write(SECRET_HELP); return 0; }
  if (!['put', 'list', 'delete'].includes(command)) throw new UsageError(`Unknown secret command "${command}". Use: islet secret put|list|delete`);
  const arity = command === 'list' ? 1 : 2;
  if (positionals.length !== arity) {
    const usage = command === 'list' ? 'islet secret list NAME' : `islet secret ${command} NAME KEY`;
    throw new UsageError(`${positionals.length > arity ? 'Too many' : 'Missing'} arguments. Usage: ${usage}`);
  }
  const [name, key] = positionals as [string, string | undefined];
  const client = adminClient(values);
  switch (command) {
    case 'put': {
      const secretName = key as string;
      const value = await readSecretValue(`Value of secret ${secretName} for ${name} (not shown): `);
      if (value === '') {
        throw new UsageError(`No value given for ${secretName}. Pipe it in (printf '%s' "$VALUE" | islet secret put ${name} ${secretName}) or run in a terminal to be prompted.`);
      }
      await client.putSecret(name, secretName, value);
      if (values.json === true) { printJson({ name: secretName }); return 0; }
      process.stdout.write(`Secret ${secretName} set on ${name}; it takes effect on the next request.\n`);
      return 0;
    }
    case 'list': {
      const names = await client.listSecrets(name);
      if (values.json === true) { printJson({ secrets: names.map((n) => ({ name: n })) }); return 0; }
      if (names.length === 0) { process.stdout.write(`${name} has no secrets.\n`); return 0; }
      process.stdout.write(formatTable(['SECRET'], names.map((n) => [n])));
      return 0;
    }
    default: {
      const secretName = key as string;
      await client.deleteSecret(name, secretName);
      if (values.json === true) { printJson({ deleted: secretName }); return 0; }
      process.stdout.write(`Deleted secret ${secretName} from ${name}.\n`);
      return 0;
    }
  }
}
