// What `islet dev` runs besides the worker it serves: the workers of further configs (`-c a -c b`,
// as `wrangler dev -c a -c b` does), reachable only through service bindings, and every worker's cron
// triggers, fired on schedule. With `--test-scheduled`, GET /__scheduled?cron=... runs the served
// worker's scheduled() handler now and answers "Ran scheduled event", as wrangler's does.
import type { Islet } from '../islet.js';
import type { IncomingRequest, OutgoingResponse } from '../isolates/request-types.js';
import { platformResponse } from '../isolates/request-types.js';
import { CronScheduler, type SchedulerClock } from '../scheduling/cron-scheduler.js';
import { scheduledRequest } from '../scheduling/scheduled-request.js';
import type { Target } from '../server/http-front.js';
import type { DevWorker } from './dev-worker.js';

export const TEST_SCHEDULED_PATH = '/__scheduled';
/** How often a reload's new cron triggers are picked up. */
const TRIGGER_SYNC_MS = 1_000;

export interface DevGroupOptions {
  testScheduled: boolean;
  /** Where a scheduled run's failure is reported (the worker's own error is in its log already). */
  say: (line: string) => void;
  clock?: SchedulerClock;
}

export class DevGroup {
  readonly #islet: Islet;
  readonly #workers: DevWorker[];
  readonly #options: DevGroupOptions;
  readonly #scheduler: CronScheduler;
  readonly #synced = new Map<DevWorker, unknown>();
  readonly #sync: NodeJS.Timeout;
  readonly #testRoute: Target;

  /** `workers[0]` is the one served; all have started. Each is registered for service bindings under its config's name. */
  constructor(islet: Islet, workers: DevWorker[], options: DevGroupOptions) {
    this.#islet = islet;
    this.#workers = workers;
    this.#options = options;
    this.#scheduler = new CronScheduler((name, cron, time) => { void this.#run(name, cron, time); }, options.clock);
    for (const worker of workers) {
      const name = worker.config?.name;
      if (name !== undefined) islet.registerService(name, worker);
    }
    this.#syncTriggers();
    // A reload can change a worker's triggers; DevWorker hands out a new config object per build.
    this.#sync = setInterval(() => this.#syncTriggers(), TRIGGER_SYNC_MS);
    this.#sync.unref();
    this.#testRoute = { fetch: (request) => this.#testScheduled(request) };
  }

  /** The test route for a path (query included), when --test-scheduled is on; null sends the request to the worker. */
  route(path: string): Target | null {
    if (!this.#options.testScheduled) return null;
    const query = path.indexOf('?');
    return (query === -1 ? path : path.slice(0, query)) === TEST_SCHEDULED_PATH ? this.#testRoute : null;
  }

  /** Runs a worker's scheduled() now; resolves with the runtime's answer (an empty 200 when it succeeded). */
  scheduled(worker: DevWorker, cron: string, scheduledTime: number, traceId?: string): Promise<OutgoingResponse> {
    return worker.fetch(scheduledRequest(cron, scheduledTime, traceId));
  }

  close(): void {
    clearInterval(this.#sync);
    this.#scheduler.close();
  }

  #syncTriggers(): void {
    for (const worker of this.#workers) {
      const config = worker.config;
      if (config === null || this.#synced.get(worker) === config) continue;
      this.#synced.set(worker, config);
      this.#scheduler.set(config.name, config.crons ?? []);
      // Batches go to the worker as it serves then (a reload that fails keeps the previous version).
      this.#islet.setQueueConsumers(config.name, config.queues?.consumers ?? [], worker);
    }
  }

  async #run(name: string, cron: string, scheduledTime: number): Promise<void> {
    const worker = this.#workers.find((w) => w.config?.name === name);
    if (worker === undefined) return;
    const response = await this.scheduled(worker, cron, scheduledTime);
    if (response.status !== 200) this.#options.say(`Scheduled run of ${name} for "${cron}" failed (${response.status}); see the worker's log.`);
  }

  /** wrangler's `/__scheduled?cron=...` (the expression is passed through as given, as wrangler does); `time` in ms is optional. */
  async #testScheduled(request: IncomingRequest): Promise<OutgoingResponse> {
    const url = new URL(request.url);
    const time = url.searchParams.get('time');
    const scheduledTime = time === null ? Date.now() : Number(time);
    if (!Number.isSafeInteger(scheduledTime)) return platformResponse(400, 'Bad Request: time must be milliseconds since the epoch.\n');
    const served = this.#workers[0]!;
    const response = await this.scheduled(served, url.searchParams.get('cron') ?? '', scheduledTime, request.traceId);
    if (response.status !== 200) return response;
    return { status: 200, statusText: '', headers: 'content-type:text/plain;charset=UTF-8', body: 'Ran scheduled event' };
  }
}
