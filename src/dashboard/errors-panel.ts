// Recent failed requests, newest first, each with the lines it logged (GET /api/v1/errors).
import type { RecentErrorJson } from '../host/observability/stats/stats-types.js';
import { clock, h } from './dom.js';

export function renderErrors(list: HTMLElement, errors: readonly RecentErrorJson[]): void {
  const items = errors.map((e) => h('li', {},
    h('span', { className: 'muted' }, clock(e.time)), ' ',
    h('strong', {}, e.worker), ` v${e.version} ${e.method} ${e.path} `,
    h('span', { className: 'bad' }, `${e.status}${e.failure === null ? '' : ` ${e.failure}`}`),
    ` ${e.durationMs.toFixed(1)} ms `,
    h('span', { className: 'muted', title: `trace id; host ${e.host}` }, e.traceId),
    ...e.logs.map((line) => h('pre', { className: `level-${line.level}` }, `${line.level}: ${line.message}`)),
  ));
  if (items.length === 0) items.push(h('li', { className: 'muted' }, 'No failed requests since the server started.'));
  list.replaceChildren(...items);
}
