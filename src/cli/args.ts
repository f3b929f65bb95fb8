// Argument parsing shared by the commands, on node:util's parseArgs.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { EgressConfigError, EgressPolicy } from '../host/outbound/egress-policy.js';

export class UsageError extends Error {
  readonly code = 'ERR_USAGE';
}

export function parse<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** `--var KEY:VALUE`, as wrangler takes it. */
export function parseVars(values: string[] | undefined): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const entry of values ?? []) {
    const colon = entry.indexOf(':');
    if (colon <= 0) throw new UsageError(`--var expects KEY:VALUE, got "${entry}"`);
    vars[entry.slice(0, colon)] = entry.slice(colon + 1);
  }
  return vars;
}

/** `--outbound HOST=URL`: subrequests to HOST go to URL instead. */
export function parseOutbound(values: string[] | undefined): Map<string, string> {
  const routes = new Map<string, string>();
  for (const entry of values ?? []) {
    const eq = entry.indexOf('=');
    const host = entry.slice(0, eq);
    const target = entry.slice(eq + 1);
    if (eq <= 0 || URL.parse(target) === null) throw new UsageError(`--outbound expects HOST=URL, got "${entry}"`);
    routes.set(host.toLowerCase(), target);
  }
  return routes;
}

/** `--allow-egress CIDR|HOST`: destinations subrequests may reach beyond the public Internet. */
export function parseAllowEgress(values: string[] | undefined): string[] {
  const allow = values ?? [];
  try {
    new EgressPolicy(allow);
  } catch (err) {
    if (err instanceof EgressConfigError) throw new UsageError(`--allow-egress: ${err.message}`);
    throw err;
  }
  return allow;
}

export function parsePort(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port expects a number from 0 to 65535, got "${value}"`);
  return port;
}
