// The dashboard under `islet dev`: the page and a small admin API under /__islet/ on the dev server's
// own port, behind a token as on islet serve. The one worker's requests are recorded at the front door
// here (there is no platform), with its cold starts and heap read from its isolate, and fed to a live
// tail as on islet serve. CPU time is not reported per request in this process: CPU and cost stay zero.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ControlError } from '../../control/control-error.js';
import type { ResidentWorker } from '../../isolates/resident-worker.js';
import type { LogSink } from '../../observability/log-sink.js';
import { DashboardFeed } from '../../observability/stats/dashboard-feed.js';
import { TailHub } from '../../observability/tail/tail-hub.js';
import type { FailureKind, RequestOutcome } from '../../observability/platform-observer.js';
import { adminHandler, type AdminRequest, type AdminRoute } from '../admin/admin-http.js';
import { tailRoute } from '../admin/tail-route.js';
import type { Target } from '../http-front.js';
import { DASHBOARD_PATH, dashboardPages } from './dashboard-pages.js';
import { dashboardRoutes } from './dashboard-routes.js';

/** Paths under this prefix never reach the worker while the dashboard is on (as /cdn-cgi/ on Cloudflare). */
export const DEV_PREFIX = '/__islet';
export const DEV_DASHBOARD_PATH = DEV_PREFIX + DASHBOARD_PATH;

export interface DevWorkerView {
  /** The worker's name (from its config), and the isolate serving it now. */
  name(): string;
  current(): ResidentWorker | null;
}

export class DevDashboard {
  readonly feed: DashboardFeed;
  readonly tail = new TailHub();
  readonly #worker: DevWorkerView;
  readonly #handler: (req: IncomingMessage, res: ServerResponse) => void;
  readonly #started = new Date().toISOString();
  /** Each successful reload is a version, as a deploy would be. */
  #version = 1;
  /** Requests since start, for the usage endpoint (nothing is billed here). */
  #requests = 0;

  constructor(token: string, worker: DevWorkerView, onError: (err: unknown) => void) {
    this.#worker = worker;
    this.feed = new DashboardFeed({
      prices: null,
      engines: async () => {
        const current = worker.current();
        const instance = current?.instance;
        const heap = instance === null || instance === undefined || instance.dead ? [] : [{ worker: worker.name(), heapUsedBytes: instance.sandbox.heapUsedBytes(), heapLimitBytes: current!.spec.limits.memoryMb * 1024 * 1024 }];
        return [{ index: 0, up: true, restarts: 0, inFlight: 0, resident: heap.length, rssBytes: process.memoryUsage.rss(), isolates: heap }];
      },
    });
    this.#handler = adminHandler(token, [
      ...this.#routes(), ...dashboardRoutes(this.feed.stats, this.feed.errors), tailRoute(this.tail, (name) => name === worker.name()),
    ], onError, [], dashboardPages);
  }

  start(): void { this.feed.start(); }
  stop(): void {
    this.feed.stop();
    this.tail.close();
  }
  reloaded(): void { this.#version++; }

  /** `next`, also giving recent failures their log lines. */
  sink(next: LogSink): LogSink { return this.feed.sink(this.tail.tee(next)); }

  /** The dev worker as the front door's target, with each request reported to the dashboard. */
  target(inner: Target): Target {
    return {
      fetch: (request) => {
        const started = performance.now();
        const current = this.#worker.current();
        // A cold start happens synchronously inside fetch(), so it is this request's.
        let coldStartMs = -1;
        if (current !== null) current.onColdStart = (start) => { coldStartMs = start.ms; };
        const answer = inner.fetch(request);
        if (current !== null) current.onColdStart = () => {};
        const report = (status: number, failure: FailureKind | null) => this.#report({
          worker: this.#worker.name(), version: this.#version, status, admitted: true, durationMs: performance.now() - started,
          cpuMs: 0, coldStartMs, memoryMb: current?.spec.limits.memoryMb ?? 0, failure,
          traceId: request.traceId, method: request.method, url: request.url,
        });
        return answer.then((response) => {
          report(response.status, response.failure ?? null);
          return response;
        }, (err: unknown) => {
          report(500, 'exception');
          throw err;
        });
      },
    };
  }

  #report(outcome: RequestOutcome): void {
    this.#requests++;
    this.feed.request(outcome);
    this.tail.request(outcome);
  }

  /** This process, shown as the one engine: islet dev runs its isolate in-process. */
  #engine() {
    const current = this.#worker.current();
    const instance = current?.instance ?? null;
    const live = instance !== null && !instance.dead;
    return { index: 0, pid: process.pid, up: true, restarts: 0, inFlight: live ? instance.inFlight : 0, resident: live ? 1 : 0, rssBytes: process.memoryUsage.rss() };
  }

  /** Answers requests under /__islet/ (true), or leaves them to the worker (false). */
  intercept(req: IncomingMessage, res: ServerResponse): boolean {
    const url = req.url ?? '';
    if (url !== DEV_PREFIX && !url.startsWith(DEV_PREFIX + '/')) return false;
    // The admin API and the page answer as on islet serve's admin listener, under this prefix.
    req.url = url.slice(DEV_PREFIX.length) || '/';
    this.#handler(req, res);
    return true;
  }

  #routes(): AdminRoute[] {
    const summary = () => {
      const name = this.#worker.name();
      return {
        name, tenant: name, createdAt: this.#started,
        deployment: { versions: [{ id: 'dev', number: this.#version, percent: 100 }], sticky: null, createdAt: this.#started },
        routes: [], quarantine: null,
      };
    };
    const own = (request: AdminRequest): string => {
      if (request.params[0] !== this.#worker.name()) throw new ControlError('not_found', `worker "${request.params[0]}" not found`);
      return request.params[0];
    };
    const free = { requests: 0, cpu: 0, memory: 0, total: 0 };
    return [
      { method: 'GET', path: /^\/health$/, handle: () => ({ status: 200, json: { ok: true } }) },
      { method: 'GET', path: /^\/engines$/, handle: () => ({ status: 200, json: { engines: [this.#engine()] } }) },
      {
        method: 'GET', path: /^\/workers\/([^/]+)\/usage$/, handle: (request) => ({
          status: 200, json: { worker: own(request), since: this.#started, requests: this.#requests, cpuMs: 0, gbSeconds: 0, cost: free, prices: null },
        }),
      },
      { method: 'GET', path: /^\/workers$/, handle: () => ({ status: 200, json: { workers: [summary()] } }) },
      {
        method: 'GET', path: /^\/workers\/([^/]+)$/, handle: (request) => {
          own(request);
          return { status: 200, json: summary() };
        },
      },
    ];
  }
}
