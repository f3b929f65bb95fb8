// GET /api/v1/workers/:name/tail: a worker's live events as newline-delimited JSON, one object per
// line, each written the moment it happens (docs/admin-api.md#tail). The filters are applied here, so
// a client on a slow link receives only what it asked for. A client that cannot keep up loses events
// rather than making the server hold them: past a bound of unsent bytes they are dropped and counted,
// and a `dropped` line says how many once it catches up.
import { ControlError } from '../../control/control-error.js';
import { NAME_PATTERN } from '../../control/model.js';
import type { TailFilter, TailHub } from '../../observability/tail/tail-hub.js';
import { errorReply, type AdminRequest, type AdminRoute, type ReplyStream } from './admin-http.js';

/** Unsent bytes a tail may have before its events are dropped. */
export const TAIL_BUFFER_BYTES = 1024 * 1024;
/** A line now and then, so a client that went away without closing is noticed and its slot freed. */
const HEARTBEAT_MS = 15_000;
const MAX_SEARCH = 1_000;

export function parseTailFilter(query: URLSearchParams): TailFilter {
  const status = query.get('status');
  if (status !== null && status !== 'ok' && status !== 'error') {
    throw new ControlError('invalid_request', `status must be "ok" or "error", got "${status}"`);
  }
  const samplingText = query.get('sampling');
  const sampling = samplingText === null ? 1 : Number(samplingText);
  if (samplingText === '' || !Number.isFinite(sampling) || sampling < 0 || sampling > 1) {
    throw new ControlError('invalid_request', `sampling must be a number from 0 to 1, got "${samplingText}"`);
  }
  const search = query.get('search');
  if (search !== null && search.length > MAX_SEARCH) throw new ControlError('invalid_request', `search is longer than ${MAX_SEARCH} characters`);
  return { status, sampling, search: search === '' ? null : search };
}

function stream(hub: TailHub, worker: string, filter: TailFilter, out: ReplyStream): void {
  let dropped = 0;
  const notice = () => {
    if (dropped === 0) return;
    out.write(`${JSON.stringify({ type: 'dropped', time: new Date().toISOString(), count: dropped })}\n`);
    dropped = 0;
  };
  const send = (line: string) => {
    if (out.buffered > TAIL_BUFFER_BYTES) { dropped++; return; }
    notice();
    out.write(line + '\n');
  };
  const stop = hub.subscribe(worker, filter, send, () => out.end());
  if (stop === null) {
    out.write(`${JSON.stringify({ type: 'error', message: 'Too many tails are open on this server; try again later.' })}\n`);
    out.end();
    return;
  }
  out.onDrain(notice);
  const heartbeat = setInterval(() => send(JSON.stringify({ type: 'heartbeat', time: new Date().toISOString() })), HEARTBEAT_MS);
  heartbeat.unref();
  out.onClose(() => {
    clearInterval(heartbeat);
    stop();
  });
}

export function tailRoute(hub: TailHub, exists: (worker: string) => boolean): AdminRoute {
  return {
    method: 'GET', path: /^\/workers\/([^/]+)\/tail$/, handle: (request: AdminRequest) => {
      const worker = request.params[0]!;
      if (!NAME_PATTERN.test(worker)) throw new ControlError('invalid_request', `"${worker}" is not a valid worker name`);
      if (!exists(worker)) throw new ControlError('not_found', `worker "${worker}" not found`);
      const filter = parseTailFilter(request.query);
      if (hub.full) return errorReply('too_many_requests', 'Too many tails are open on this server; try again later.');
      return { status: 200, contentType: 'application/x-ndjson', stream: (out) => stream(hub, worker, filter, out) };
    },
  };
}
