// Live tail of one worker: GET /api/v1/workers/NAME/tail streams newline-delimited JSON events, read
// with fetch() and a stream reader (EventSource cannot send the Authorization header).
import { ApiError, type AdminApi } from './api.js';
import { clock, h } from './dom.js';

/** Lines kept on the page; older ones scroll away. */
const MAX_EVENTS = 200;

interface TailLog { level?: unknown; message?: unknown }
/** A line of the tail (docs/admin-api.md#tail); read defensively, as any JSON from a stream. */
interface TailEvent {
  type?: unknown; method?: unknown; path?: unknown; status?: unknown; durationMs?: unknown; traceId?: unknown;
  outcome?: unknown; cold?: unknown; logs?: unknown; exceptions?: unknown; time?: unknown; level?: unknown; message?: unknown; count?: unknown;
}

function text(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : '';
}

function renderEvent(event: TailEvent): HTMLElement {
  const parsed = typeof event.time === 'string' ? Date.parse(event.time) : Number.NaN;
  const when = h('span', { className: 'muted' }, clock(Number.isNaN(parsed) ? Date.now() : parsed));
  if (event.type === 'log') return h('li', {}, when, ' ', h('span', { className: `level-${text(event.level)}` }, `${text(event.level)}: ${text(event.message)}`));
  if (event.type === 'dropped') return h('li', { className: 'bad' }, when, ` ${text(event.count)} events dropped: the page did not keep up`);
  if (event.type !== 'request') return h('li', {}, when, ' ', JSON.stringify(event));
  const status = typeof event.status === 'number' ? event.status : 0;
  const logs = Array.isArray(event.logs) ? (event.logs as TailLog[]) : [];
  const exceptions = Array.isArray(event.exceptions) ? (event.exceptions as TailLog[]) : [];
  return h('li', {},
    when, ' ',
    `${text(event.method)} ${text(event.path)} `,
    h('span', { className: status >= 500 ? 'bad' : '' }, String(status)),
    ` ${typeof event.durationMs === 'number' ? event.durationMs.toFixed(1) : '?'} ms ${text(event.outcome)}${event.cold === true ? ' cold' : ''} `,
    h('span', { className: 'muted' }, text(event.traceId)),
    ...logs.map((log) => h('pre', { className: `level-${text(log.level)}` }, `${text(log.level)}: ${text(log.message)}`)),
    ...exceptions.map((e) => h('pre', { className: 'level-error' }, `exception: ${text(e.message)}`)),
  );
}

export class TailPanel {
  readonly #list: HTMLElement;
  readonly #status: HTMLElement;
  #abort: AbortController | null = null;

  constructor(list: HTMLElement, status: HTMLElement) {
    this.#list = list;
    this.#status = status;
  }

  get running(): boolean { return this.#abort !== null; }

  start(api: AdminApi, worker: string): void {
    this.stop();
    const abort = new AbortController();
    this.#abort = abort;
    this.#status.textContent = `tailing ${worker}…`;
    void this.#read(api, worker, abort.signal).catch((err: unknown) => {
      if (abort.signal.aborted) return;
      this.#status.textContent = err instanceof ApiError && err.status === 404 && /No admin endpoint/.test(err.message)
        ? 'Live tail is not available on this server.'
        : `Tail stopped: ${(err as Error).message}`;
      if (this.#abort === abort) this.#abort = null;
    });
  }

  stop(): void {
    this.#abort?.abort();
    this.#abort = null;
    this.#status.textContent = '';
  }

  async #read(api: AdminApi, worker: string, signal: AbortSignal): Promise<void> {
    const response = await api.request(`/workers/${encodeURIComponent(worker)}/tail`, signal);
    if (response.body === null) throw new Error('the tail has no body');
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffered = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffered += value;
      let newline: number;
      while ((newline = buffered.indexOf('\n')) !== -1) {
        const line = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        if (line === '') continue;
        let event: TailEvent;
        try {
          event = JSON.parse(line) as TailEvent;
        } catch {
          continue;
        }
        this.#list.prepend(renderEvent(event));
        while (this.#list.childElementCount > MAX_EVENTS) this.#list.lastElementChild?.remove();
      }
    }
    this.#status.textContent = 'The tail ended.';
    this.#abort = null;
  }
}
