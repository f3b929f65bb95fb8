// How `islet tail` prints events: as wrangler tail's pretty format (a request line, then its console
// lines indented), or the server's JSON lines as they came.
const OUTCOMES: Record<string, string> = {
  ok: 'Ok', exception: 'Exception Thrown', cpu_limit: 'Exceeded CPU Limit', memory_limit: 'Exceeded Memory',
  wall_limit: 'Exceeded Wall Time', quarantine: 'Quarantined', queue_full: 'Queue Full', rate_limited: 'Rate Limited',
  bad_gateway: 'Engine Stopped', unavailable: 'Unavailable',
};

type Json = Record<string, unknown>;

const text = (value: unknown): string => (typeof value === 'string' ? value : String(value));
/** Continuation lines of a multi-line message (a stack) stay under it. */
const indent = (message: string, by: string): string => message.replace(/\n/g, `\n${by}`);

function when(value: unknown): string {
  const date = new Date(typeof value === 'string' ? value : Number.NaN);
  return Number.isNaN(date.getTime()) ? text(value) : date.toLocaleString();
}

function entries(value: unknown): Json[] {
  return Array.isArray(value) ? value.filter((v): v is Json => typeof v === 'object' && v !== null) : [];
}

/** An event's first line, then its console lines and exceptions indented under it. */
function withLines(first: string, event: Json): string {
  const lines = [first];
  for (const log of entries(event.logs)) lines.push(`  (${text(log.level)}) ${indent(text(log.message), '  ')}`);
  for (const exception of entries(event.exceptions)) lines.push(`  ✘ ${indent(text(exception.message), '    ')}`);
  return lines.join('\n');
}

/** The lines to print for one event, or null for one that prints nothing (heartbeats, unknown kinds). */
export function prettyEvent(event: Json): string | null {
  switch (event.type) {
    case 'request': {
      const outcome = OUTCOMES[text(event.outcome)] ?? text(event.outcome);
      return withLines(`${text(event.method)} http://${text(event.host)}${text(event.path)} - ${outcome} @ ${when(event.time)}`, event);
    }
    // wrangler tail's shapes for a cron run and a queue batch.
    case 'scheduled': return withLines(`"${text(event.cron)}" @ ${when(event.time)} - ${OUTCOMES[text(event.outcome)] ?? text(event.outcome)}`, event);
    case 'queue': return withLines(`Queue ${text(event.queue)} - ${OUTCOMES[text(event.outcome)] ?? text(event.outcome)} @ ${when(event.time)}`, event);
    case 'log': return `  (${text(event.level)}) ${indent(text(event.message), '  ')}`;
    case 'dropped': return `⚠ ${text(event.count)} event${event.count === 1 ? ' was' : 's were'} dropped: this tail did not keep up with the worker.`;
    case 'error': return `✘ ${text(event.message)}`;
    default: return null;
  }
}
