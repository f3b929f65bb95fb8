// islet versions list|get: a worker's deployed versions, newest first, with the traffic each takes now.
import { formatTable } from '../admin-format.js';
import { ADMIN_OPTIONS, ADMIN_OPTIONS_HELP, adminClient, printJson, workerName } from '../admin-options.js';
import type { VersionSummary } from '../admin-responses.js';
import { UsageError, parse } from '../args.js';

export const VERSIONS_HELP = `islet versions <command> [options]

Commands:
  list [NAME]       worker NAME's versions, newest first, with the share of traffic each takes
  get NAME ID       one version's configuration (the code is not shown); ID is the version's id
                    or its number from versions list

NAME defaults to "name" in the wrangler config found from the current directory.

Options:
  --config FILE        the wrangler config to take the worker's name from
${ADMIN_OPTIONS_HELP}`;

export async function versions(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h') { process.stdout.write(VERSIONS_HELP); return 0; }
  const { values, positionals } = parse(rest, { ...ADMIN_OPTIONS, config: { type: 'string', short: 'c' } });
  if (values.help === true) { process.stdout.write(VERSIONS_HELP); return 0; }
  switch (command) {
    case 'list': {
      if (positionals.length > 1) throw new UsageError('Too many arguments. Usage: islet versions list [NAME]');
      const name = workerName(positionals[0], values, 'islet versions list NAME');
      const client = adminClient(values);
      const [list, worker] = await Promise.all([client.listVersions(name), client.getWorker(name)]);
      if (values.json === true) { printJson({ versions: list }); return 0; }
      if (list.length === 0) { process.stdout.write(`${name} has no versions yet.\n`); return 0; }
      const traffic = new Map((worker.deployment?.versions ?? []).map((v) => [v.id, v.percent]));
      const rows = list.map((v) => [String(v.number), v.id, v.createdAt, traffic.has(v.id) ? `${traffic.get(v.id)}%` : '-', v.message ?? '']);
      process.stdout.write(formatTable(['VERSION', 'ID', 'CREATED', 'TRAFFIC', 'MESSAGE'], rows));
      return 0;
    }
    case 'get': {
      if (positionals.length !== 2) throw new UsageError(`${positionals.length > 2 ? 'Too many' : 'Missing'} arguments. Usage: islet versions get NAME ID`);
      const [name, given] = positionals as [string, string];
      const client = adminClient(values);
      let id = given;
      // A version number ("3") is what listings show, and what rollback --version takes; the API takes ids.
      if (/^\d+$/.test(given)) {
        const all = await client.listVersions(name);
        const byNumber = all.find((v) => v.number === Number(given));
        if (byNumber === undefined) throw new UsageError(`${name} has no version ${given} (versions: ${all.map((v) => v.number).join(', ') || 'none'}).`);
        id = byNumber.id;
      }
      const version = await client.getVersion(name, id);
      if (values.json === true) { printJson(version); return 0; }
      process.stdout.write(describeVersion(name, version));
      return 0;
    }
    default:
      throw new UsageError(`Unknown versions command "${command}". Use: islet versions list|get`);
  }
}

function describeVersion(name: string, version: VersionSummary): string {
  const { config } = version;
  const lines: [string, string][] = [
    ['Version', `${name} version ${version.number} (${version.id})`],
    ['Created', version.createdAt],
  ];
  if (version.message !== null) lines.push(['Message', version.message]);
  if (config.compatibilityDate !== undefined) lines.push(['Compat date', config.compatibilityDate ?? 'none']);
  if (config.vars !== undefined) lines.push(['Vars', Object.keys(config.vars).join(', ') || 'none']);
  if (config.kvNamespaces !== undefined) lines.push(['KV', config.kvNamespaces.map((ns) => `${ns.binding} (${ns.id})`).join(', ') || 'none']);
  return lines.map(([label, value]) => `${`${label}:`.padEnd(13)}${value}`).join('\n') + '\n';
}
