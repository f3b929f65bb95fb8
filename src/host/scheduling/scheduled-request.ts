// A cron trigger's run as the platform dispatches it: a request record with `scheduled` set, so it
// takes the same path as a request (version choice, admission, limits, metrics, logs) and the engine
// calls scheduled() instead of fetch(). The URL only names the run in logs and traces.
import { randomBytes } from 'node:crypto';
import type { IncomingRequest } from '../isolates/request-types.js';

export function scheduledRequest(cron: string, scheduledTime: number, traceId: string = randomBytes(16).toString('hex')): IncomingRequest {
  return {
    method: 'GET',
    url: `http://scheduled.invalid/__scheduled?cron=${encodeURIComponent(cron)}`,
    headers: '',
    body: null,
    traceId,
    scheduled: { cron, scheduledTime },
  };
}
