// One human-readable line per request: what `islet dev` prints, and `islet serve --log-format pretty`.
// Shaped like the lines TextLogSink writes for the same worker, so a request and its console output
// read together.
import { STATUS_CODES } from 'node:http';
import type { IncomingRequest, OutgoingResponse } from '../../isolates/request-types.js';
import type { PlatformObserver, RequestOutcome } from '../platform-observer.js';
import { hostAndPath } from './request-record.js';

export interface RequestLineFields {
  method: string;
  path: string;
  status: number;
  durationMs: number;
}

/** `GET /path 200 OK (3 ms)`, as wrangler dev prints a request. */
export function requestLine(fields: RequestLineFields): string {
  const reason = STATUS_CODES[fields.status];
  return `${fields.method} ${fields.path} ${fields.status}${reason === undefined ? '' : ` ${reason}`} (${durationText(fields.durationMs)})`;
}

function durationText(ms: number): string {
  return `${ms < 10 ? ms.toFixed(1) : ms.toFixed(0)} ms`;
}

export class TextRequestLog implements PlatformObserver {
  readonly #write: (line: string) => void;

  constructor(write: (line: string) => void = (line) => process.stderr.write(line + '\n')) {
    this.#write = write;
  }

  request(outcome: RequestOutcome): void {
    const { host, path } = hostAndPath(outcome.url);
    const notes = [`v${outcome.version}`, `cpu ${outcome.cpuMs.toFixed(1)} ms`];
    if (outcome.coldStartMs >= 0) notes.push('cold');
    if (outcome.failure !== null) notes.push(outcome.failure);
    const event = outcome.event;
    const line = event === undefined
      ? requestLine({ method: outcome.method, path: host + path, status: outcome.status, durationMs: outcome.durationMs })
      : `${event.kind === 'scheduled' ? `scheduled "${event.cron}"` : `queue ${event.queue}`} (${durationText(outcome.durationMs)})`;
    this.#write(`[${outcome.worker}] (${outcome.traceId}) ${line} ${notes.join(', ')}`);
  }
}

interface FetchTarget { fetch(request: IncomingRequest): Promise<OutgoingResponse> }

/** `target`, writing one requestLine for each request it answers (islet dev, which has no platform). */
export function withRequestLog<T extends FetchTarget>(target: T, write: (line: string) => void): FetchTarget {
  return {
    fetch: (request) => {
      const started = performance.now();
      return target.fetch(request).then((response) => {
        const { path } = hostAndPath(request.url);
        write(requestLine({ method: request.method, path, status: response.status, durationMs: performance.now() - started }));
        return response;
      });
    },
  };
}
