// islet tail [NAME]: a worker's requests and console output as they happen on a running islet serve,
// like wrangler tail. The server filters (status, sampling, search); this only prints.
import type { IncomingMessage } from 'node:http';
import { ADMIN_OPTIONS_HELP, adminClient, workerName } from '../admin-options.js';
import { UsageError, parse } from '../args.js';
import { prettyEvent } from '../tail-format.js';

export const TAIL_HELP = `islet tail [NAME] [options]

Streams worker NAME's requests, with their console output and exceptions, from a running islet serve
until Ctrl-C. NAME defaults to "name" in the wrangler config found from the current directory.

Options:
  --status ok|error    only requests that succeeded, or only those the platform failed
  --sampling RATE      the share of requests to show, from 0 to 1 (default 1)
  --search TEXT        only requests whose path, console output or exceptions contain TEXT
  --format pretty|json pretty: as wrangler tail prints; json: one event per line (default: pretty in a
                       terminal, json otherwise)
  --config FILE        the wrangler config to take the worker's name from
${ADMIN_OPTIONS_HELP.split('\n').filter((line) => !line.includes('--json')).join('\n')}`;

const USAGE = 'islet tail NAME [--status ok|error] [--sampling RATE] [--search TEXT] [--format pretty|json]';

/** Calls `onLine` for each complete line of the stream; resolves at its end. */
async function lines(stream: IncomingMessage, onLine: (line: string) => void): Promise<void> {
  let rest = '';
  stream.setEncoding('utf8');
  for await (const chunk of stream) {
    rest += chunk as string;
    let newline = rest.indexOf('\n');
    while (newline !== -1) {
      const line = rest.slice(0, newline);
      rest = rest.slice(newline + 1);
      if (line !== '') onLine(line);
      newline = rest.indexOf('\n');
    }
  }
}

export async function tail(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    server: { type: 'string' }, token: { type: 'string' }, help: { type: 'boolean', short: 'h' },
    status: { type: 'string' }, sampling: { type: 'string' }, search: { type: 'string' }, format: { type: 'string' },
    config: { type: 'string', short: 'c' },
  });
  if (values.help === true) { process.stdout.write(TAIL_HELP); return 0; }
  if (positionals.length > 1) throw new UsageError(`Too many arguments. Usage: ${USAGE}`);
  const query = new URLSearchParams();
  if (values.status !== undefined) {
    if (values.status !== 'ok' && values.status !== 'error') throw new UsageError(`--status expects ok or error, got "${values.status}"`);
    query.set('status', values.status);
  }
  if (values.sampling !== undefined) {
    const rate = Number(values.sampling);
    if (values.sampling === '' || !Number.isFinite(rate) || rate < 0 || rate > 1) throw new UsageError(`--sampling expects a number from 0 to 1, got "${values.sampling}"`);
    query.set('sampling', String(rate));
  }
  if (values.search !== undefined && values.search !== '') query.set('search', values.search);
  const format = values.format ?? (process.stdout.isTTY ? 'pretty' : 'json');
  if (format !== 'pretty' && format !== 'json') throw new UsageError(`--format expects pretty or json, got "${format}"`);
  const name = workerName(positionals[0], values, USAGE);
  const client = adminClient(values);

  const stopping = new AbortController();
  const stop = () => stopping.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const stream = await client.tail(name, query, stopping.signal);
    process.stderr.write(`Tailing ${name} on ${client.url}; Ctrl-C to stop.\n`);
    await lines(stream, (line) => {
      let event: unknown;
      try { event = JSON.parse(line); } catch { return; }
      if (typeof event !== 'object' || event === null || Array.isArray(event)) return;
      const record = event as Record<string, unknown>;
      if (record.type === 'heartbeat') return;
      const out = format === 'json' ? line : prettyEvent(record);
      if (out !== null) process.stdout.write(`${out}\n`);
    });
  } catch (err) {
    if (stopping.signal.aborted) return 0;
    throw err;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
  if (stopping.signal.aborted) return 0;
  process.stderr.write('The server ended the tail (it is stopping, or the worker went away).\n');
  return 1;
}
