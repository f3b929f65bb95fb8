// islet workers list|get|delete: what islet serve runs, who owns it, and which versions take its traffic.
import { formatTable, formatTraffic } from '../admin-format.js';
import { ADMIN_OPTIONS, ADMIN_OPTIONS_HELP, adminClient, printJson } from '../admin-options.js';
import type { TriggerSummary, WorkerSummary } from '../admin-responses.js';
import { UsageError, parse } from '../args.js';
import { confirm } from '../confirm.js';

export const WORKERS_HELP = `islet workers <command> [options]

Commands:
  list            every worker: tenant, traffic split, routes
  get NAME        one worker in detail
  delete NAME     delete a worker with its versions, routes and secrets (its tenant's KV data stays);
                  asks first on a terminal unless --yes

Options:
  --yes, -y            delete without asking
${ADMIN_OPTIONS_HELP}`;

export async function workers(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h') { process.stdout.write(WORKERS_HELP); return 0; }
  const { values, positionals } = parse(rest, { ...ADMIN_OPTIONS, yes: { type: 'boolean', short: 'y' } });
  if (values.help === true) { process.stdout.write(WORKERS_HELP); return 0; }
  if (!['list', 'get', 'delete'].includes(command)) throw new UsageError(`Unknown workers command "${command}". Use: islet workers list|get|delete`);
  const arity = command === 'list' ? 0 : 1;
  if (positionals.length !== arity) {
    const usage = command === 'list' ? 'islet workers list' : `islet workers ${command} NAME`;
    throw new UsageError(`${positionals.length > arity ? 'Too many' : 'Missing'} arguments. Usage: ${usage}`);
  }
  const client = adminClient(values);
  const name = positionals[0] ?? '';
  switch (command) {
    case 'list': {
      const list = await client.listWorkers();
      if (values.json === true) { printJson({ workers: list }); return 0; }
      if (list.length === 0) { process.stdout.write(`No workers on ${client.url} yet; islet deploy adds one.\n`); return 0; }
      const rows = list.map((w) => [w.name, w.tenant, status(w), formatTraffic(w.deployment), w.routes.join(', ') || '-']);
      process.stdout.write(formatTable(['NAME', 'TENANT', 'STATUS', 'TRAFFIC', 'ROUTES'], rows));
      return 0;
    }
    case 'get': {
      const worker = await client.getWorker(name);
      if (values.json === true) { printJson(worker); return 0; }
      process.stdout.write(describeWorker(worker));
      return 0;
    }
    default: {
      if (values.yes !== true && process.stdin.isTTY) await confirm(`Delete worker ${name} with its versions, routes and secrets? [y/N] `);
      await client.deleteWorker(name);
      if (values.json === true) { printJson({ deleted: name }); return 0; }
      process.stdout.write(`Deleted worker ${name}: its versions, routes and secrets are gone; its tenant's KV data stays.\n`);
      return 0;
    }
  }
}

function status(worker: WorkerSummary): string {
  if (worker.quarantine !== null) return 'quarantined';
  return worker.deployment === null ? 'not deployed' : 'serving';
}

function describeWorker(worker: WorkerSummary): string {
  const lines: [string, string][] = [
    ['Worker', worker.name],
    ['Tenant', worker.tenant],
    ['Created', worker.createdAt],
    ['Status', status(worker)],
    ['Traffic', formatTraffic(worker.deployment)],
  ];
  if (worker.deployment !== null) lines.push(['Deployed', worker.deployment.createdAt]);
  lines.push(['Routes', worker.routes.join(', ') || 'none']);
  for (const trigger of worker.triggers ?? []) lines.push(['Trigger', describeTrigger(trigger)]);
  if (worker.quarantine !== null) lines.push(['Quarantine', `${worker.quarantine.reason} (since ${worker.quarantine.at}); the next deploy clears it`]);
  return lines.map(([label, value]) => `${`${label}:`.padEnd(12)}${value}`).join('\n') + '\n';
}

function describeTrigger(trigger: TriggerSummary): string {
  const next = trigger.next === null ? 'no longer configured' : `next ${trigger.next}`;
  const last = trigger.lastRun === null ? 'never run'
    : `last run ${trigger.lastRun.outcome} at ${trigger.lastRun.startedAt} (${trigger.lastRun.durationMs} ms)`;
  return `${trigger.cron} (${next}; ${last})`;
}
