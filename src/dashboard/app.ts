// The dashboard page: sign in, then poll the admin API (traffic history every second, failures and
// workers every few seconds) and redraw. Everything it shows comes from the API with the token.
import { AdminApi, UnauthorizedError, apiBase, type EngineStatus, type Usage, type WorkerSummary } from './api.js';
import { Chart, type Line } from './charts.js';
import { byId, bytes, fixed, h, money } from './dom.js';
import { renderErrors } from './errors-panel.js';
import { forgetToken, savedToken, signIn } from './login.js';
import { SeriesWindow } from './series-window.js';
import { TailPanel } from './tail-panel.js';
import type { WorkerSeriesJson } from '../host/observability/stats/stats-types.js';

const SERIES_POLL_MS = 1_000;
const SLOW_POLL_MS = 3_000;
const MB = 1024 * 1024;

const base = apiBase(location.pathname);
let api: AdminApi | null = null;
let timers: number[] = [];
let window_ = new SeriesWindow();
let workers: WorkerSummary[] = [];
const usage = new Map<string, Usage>();

const charts = {
  requests: new Chart('Requests / s', '', 'requests'),
  errors: new Chart('Errors / s (5xx and platform failures)', '', 'errors'),
  latency: new Chart('Latency (ms)', '', 'latency'),
  coldStarts: new Chart('Cold starts', '', 'cold-starts'),
  cpu: new Chart('CPU ms / s', '', 'cpu'),
  heap: new Chart('Heap per worker (MiB)', '', 'heap'),
  cost: new Chart('Cost over the window (USD, cumulative)', '', 'cost'),
};

function perWorker(pick: (s: WorkerSeriesJson) => (number | null)[], scale = 1): Line[] {
  return [...window_.workers].map(([name, s]) => ({ label: name, values: pick(s).map((v) => (v === null ? null : v * scale)) }));
}

function cumulative(values: readonly number[]): number[] {
  let sum = 0;
  return values.map((v) => (sum += v));
}

function drawCharts(): void {
  const t = window_.t;
  const perSecond = 1000 / window_.intervalMs;
  charts.requests.update(t, perWorker((s) => s.requests));
  charts.errors.update(t, perWorker((s) => s.errors));
  const chosen = byId<HTMLSelectElement>('latency-worker').value;
  const latency = (chosen === '' ? window_.total : window_.workers.get(chosen)) ?? window_.total;
  charts.latency.update(t, [{ label: 'p50', values: latency.p50Ms }, { label: 'p95', values: latency.p95Ms }, { label: 'p99', values: latency.p99Ms }]);
  charts.coldStarts.update(t, perWorker((s) => s.coldStarts));
  charts.cpu.update(t, perWorker((s) => s.cpuMs, perSecond));
  charts.heap.update(t, perWorker((s) => s.heapBytes, 1 / MB));
  charts.cost.update(t, perWorker((s) => cumulative(s.cost)));
  const minutes = (window_.capacity * window_.intervalMs) / 60_000;
  byId('window').textContent = `last ${minutes} min, ${window_.intervalMs / 1000} s intervals`;
}

function versionsText(worker: WorkerSummary): string {
  return worker.deployment?.versions.map((v) => `v${v.number ?? '?'} ${v.percent}%`).join(', ') ?? 'not deployed';
}

function drawWorkers(): void {
  const rows = workers.map((w) => {
    const cost = usage.get(w.name)?.cost.total;
    const row = h('tr', {},
      h('td', {}, w.name),
      h('td', {}, versionsText(w)),
      h('td', {}, w.routes.length === 0 ? h('span', { className: 'muted' }, `/${w.name}/…`) : w.routes.join(' ')),
      h('td', { className: 'num' }, fixed(window_.recent(w.name, 'requests', 5), 1)),
      h('td', { className: 'num' }, fixed(window_.recent(w.name, 'errors', 5), 1)),
      h('td', { className: 'num' }, fixed(window_.recent(w.name, 'p99Ms', 5), 2)),
      h('td', { className: 'num' }, bytes(window_.latest(w.name, 'heapBytes'))),
      h('td', { className: 'num' }, cost === undefined ? '–' : money(cost)),
      h('td', {}, w.quarantine === null ? 'serving' : h('span', { className: 'bad' }, `quarantined: ${w.quarantine.reason}`)),
    );
    row.dataset.worker = w.name;
    return row;
  });
  byId('workers').querySelector('tbody')!.replaceChildren(...rows);
  for (const id of ['latency-worker', 'tail-worker']) {
    const select = byId<HTMLSelectElement>(id);
    const wanted = workers.map((w) => w.name);
    const have = [...select.options].map((o) => o.value).filter((v) => v !== '');
    if (wanted.join('\n') === have.join('\n')) continue;
    const chosen = select.value;
    const fixedOptions = [...select.options].filter((o) => o.value === '');
    select.replaceChildren(...fixedOptions, ...wanted.map((name) => { const o = h('option', {}, name); o.value = name; return o; }));
    select.value = chosen;
    if (select.value === '' && fixedOptions.length === 0 && wanted[0] !== undefined) select.value = wanted[0];
  }
}

function drawEngines(engines: readonly EngineStatus[]): void {
  byId('engines').querySelector('tbody')!.replaceChildren(...engines.map((e) => h('tr', {},
    h('td', {}, String(e.index)), h('td', {}, String(e.pid)), h('td', {}, e.up ? 'up' : h('span', { className: 'bad' }, 'down')),
    h('td', { className: 'num' }, String(e.restarts)), h('td', { className: 'num' }, String(e.inFlight)),
    h('td', { className: 'num' }, String(e.resident)), h('td', { className: 'num' }, bytes(e.rssBytes)),
  )));
}

/** Runs `work` now and every `ms`; a refused token signs out, other failures wait for the next round. */
function every(ms: number, work: (api: AdminApi) => Promise<void>): void {
  let busy = false;
  const run = () => {
    if (api === null || busy) return;
    busy = true;
    work(api).catch((err: unknown) => {
      if (err instanceof UnauthorizedError) signOut('The token is no longer accepted.');
      else console.warn(err);
    }).finally(() => { busy = false; });
  };
  run();
  timers.push(window.setInterval(run, ms));
}

function startPolling(): void {
  every(SERIES_POLL_MS, async (a) => {
    window_.add(await a.series(window_.last));
    drawCharts();
    drawWorkers();
  });
  every(SLOW_POLL_MS, async (a) => {
    workers = (await a.workers()).workers;
    const usages = await Promise.all(workers.map((w) => a.usage(w.name).catch(() => null)));
    usages.forEach((u, i) => { if (u !== null) usage.set(workers[i]!.name, u); });
    drawWorkers();
  });
  every(SLOW_POLL_MS, async (a) => { renderErrors(byId('errors'), (await a.errors()).errors); });
  every(SLOW_POLL_MS, async (a) => {
    try {
      drawEngines((await a.engines()).engines);
    } catch (err) {
      // islet dev runs one worker in its own process: it has no engines to list.
      if (err instanceof UnauthorizedError) throw err;
      byId('engines-section').hidden = true;
    }
  });
}

const tail = new TailPanel(byId('tail'), byId('tail-status'));

function show(signedIn: boolean): void {
  byId('login-view').hidden = signedIn;
  byId('dashboard-view').hidden = !signedIn;
  byId('logout').hidden = !signedIn;
}

function enter(client: AdminApi): void {
  api = client;
  show(true);
  byId('charts').replaceChildren(...Object.values(charts).map((c) => c.element));
  startPolling();
}

function signOut(reason = ''): void {
  api = null;
  for (const timer of timers) clearInterval(timer);
  timers = [];
  tail.stop();
  window_ = new SeriesWindow();
  forgetToken();
  show(false);
  byId('login-error').textContent = reason;
}

byId<HTMLFormElement>('login-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const input = byId<HTMLInputElement>('token');
  byId('login-error').textContent = '';
  void signIn(base, input.value).then((result) => {
    input.value = '';
    if (typeof result === 'string') byId('login-error').textContent = result;
    else enter(result);
  });
});
byId('logout').addEventListener('click', () => signOut());
byId('latency-worker').addEventListener('change', drawCharts);
byId('tail-toggle').addEventListener('click', () => {
  const button = byId<HTMLButtonElement>('tail-toggle');
  if (tail.running) { tail.stop(); button.textContent = 'Start'; return; }
  const worker = byId<HTMLSelectElement>('tail-worker').value;
  if (api === null || worker === '') return;
  tail.start(api, worker);
  button.textContent = 'Stop';
});
byId('server').textContent = location.host;

const saved = savedToken();
if (saved !== null) {
  void signIn(base, saved).then((result) => (typeof result === 'string' ? signOut(result) : enter(result)));
}
