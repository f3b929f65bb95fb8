// islet rollback [NAME] [--version ID]: sends all of a worker's traffic back to an earlier version at
// once; the fix for a bad deploy that takes no rebuild.
import { formatTraffic } from '../admin-format.js';
import { ADMIN_OPTIONS, ADMIN_OPTIONS_HELP, adminClient, printJson, workerName } from '../admin-options.js';
import { UsageError, parse } from '../args.js';

export const ROLLBACK_HELP = `islet rollback [NAME] [options]

Sends 100% of worker NAME's traffic to an earlier version: by default the one deployed before the
current deployment. NAME defaults to "name" in the wrangler config found from the current directory.

Options:
  --version ID         the version to go back to: its id, or its number from islet versions list
  --config FILE        the wrangler config to take the worker's name from
${ADMIN_OPTIONS_HELP}`;

export async function rollback(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { ...ADMIN_OPTIONS, version: { type: 'string' }, config: { type: 'string', short: 'c' } });
  if (values.help === true) { process.stdout.write(ROLLBACK_HELP); return 0; }
  if (positionals.length > 1) throw new UsageError('Too many arguments. Usage: islet rollback [NAME] [--version ID]');
  const name = workerName(positionals[0], values, 'islet rollback NAME [--version ID]');
  const client = adminClient(values);
  let target = values.version;
  if (target === '') throw new UsageError('--version needs a version id or number.');
  const all = await client.listVersions(name);
  // A version number ("3") is what people see in listings; the API takes ids.
  if (target !== undefined && /^\d+$/.test(target)) {
    const byNumber = all.find((v) => v.number === Number(target));
    if (byNumber === undefined) throw new UsageError(`${name} has no version ${target} (versions: ${all.map((v) => v.number).join(', ') || 'none'}).`);
    target = byNumber.id;
  }
  const deployment = await client.rollback(name, target);
  if (values.json === true) { printJson({ deployment }); return 0; }
  const numbers = new Map(all.map((v) => [v.id, v.number]));
  process.stdout.write(`Rolled back ${name}; traffic now: ${formatTraffic(deployment, numbers)}\n`);
  return 0;
}
