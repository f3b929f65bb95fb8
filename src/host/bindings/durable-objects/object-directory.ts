// The Durable Objects of one worker in this process: at most one live instance per id, found by class
// and id, running in the worker's current version, and dropped from memory after a while without
// events (their storage stays). All of a worker's versions share one directory, so a new deployment
// moves its objects instead of starting a second instance of each (README.md in this folder).
import { randomBytes } from 'node:crypto';
import { ObjectEventKind } from '../../../shared/boundary.js';
import type { RequestContext } from '../../isolates/request-context.js';
import type { OutgoingResponse } from '../../isolates/request-types.js';
import type { WorkerInstance } from '../../isolates/worker-instance.js';
import type { LogSink } from '../../observability/log-sink.js';
import type { AlarmIndex } from '../../storage/durable-objects/alarm-index.js';
import type { ObjectStorageProvider } from '../../storage/durable-objects/object-storage.js';
import { CloseCode } from '../../isolates/sockets/socket-types.js';
import { LiveObject, type EventOutcome, type ObjectHome } from './live-object.js';

export interface DirectoryOptions {
  /** The tenant: objects of the same class name in other tenants are other objects. */
  scope: string;
  worker: string;
  storage: ObjectStorageProvider;
  alarms: AlarmIndex | null;
  log: LogSink;
  /** The isolate new events go to; throws when the worker cannot start. */
  target: () => WorkerInstance;
  /** Cloudflare keeps an object without events in memory for about 10 seconds. */
  idleMs?: number;
  /** How long an object active at a deploy keeps its code before it is reset (default: Cloudflare's 300 s max_delay). */
  codeUpdateMaxDelayMs?: number;
}

/** Cloudflare's default code update strategy: `deferred`, with a max_delay of 300 seconds. */
export const DEFAULT_CODE_UPDATE_MAX_DELAY_MS = 300_000;

/** A request to an object, as its stub's fetch() sent it. */
export interface ObjectRequest { method: string; url: string; headers: string; body: string | ArrayBuffer | null }

/** Who is calling: carried into the object's event for logs and loop detection. */
export interface Caller { traceId: string; hops: number }

/** Cloudflare retries a failing alarm handler up to 6 times, starting 2 seconds after the first failure. */
export const ALARM_MAX_RETRIES = 6;
export const ALARM_FIRST_RETRY_MS = 2_000;

export class ObjectDirectory implements ObjectHome {
  readonly scope: string;
  readonly worker: string;
  readonly storage: ObjectStorageProvider;
  readonly alarms: AlarmIndex | null;
  readonly log: LogSink;
  readonly contexts = new WeakMap<RequestContext, LiveObject>();
  target: () => WorkerInstance;
  readonly codeUpdateMaxDelayMs: number;
  readonly #objects = new Map<string, LiveObject>();
  readonly #byHandle = new Map<number, LiveObject>();
  readonly #idleMs: number;
  readonly #sweeper: NodeJS.Timeout;
  #nextHandle = 1;

  constructor(options: DirectoryOptions) {
    this.scope = options.scope;
    this.worker = options.worker;
    this.storage = options.storage;
    this.alarms = options.alarms;
    this.log = options.log;
    this.target = options.target;
    this.#idleMs = options.idleMs ?? 10_000;
    this.codeUpdateMaxDelayMs = options.codeUpdateMaxDelayMs ?? DEFAULT_CODE_UPDATE_MAX_DELAY_MS;
    this.#sweeper = setInterval(() => this.evictIdle(), Math.max(50, Math.min(this.#idleMs, 5_000)));
    this.#sweeper.unref();
  }

  get size(): number { return this.#objects.size; }

  object(className: string, id: string, name: string | null): LiveObject {
    const key = `${className}:${id}`;
    let live = this.#objects.get(key);
    if (live === undefined) {
      live = new LiveObject({ scope: this.scope, worker: this.worker, className, id }, this.#nextHandle++, name, this);
      this.#objects.set(key, live);
      this.#byHandle.set(live.handle, live);
    } else if (live.name === null && name !== null) {
      live.name = name;
    }
    return live;
  }

  byHandle(handle: unknown): LiveObject | undefined {
    return typeof handle === 'number' ? this.#byHandle.get(handle) : undefined;
  }

  fetch(className: string, id: string, name: string | null, request: ObjectRequest, caller: Caller): Promise<OutgoingResponse> {
    return this.#run(className, id, name, ObjectEventKind.Fetch, [request.method, request.url, request.headers, request.body], caller)
      .then((outcome) => {
        if (outcome.kind === 'response') return outcome.response;
        // What the object's fetch() threw, for the caller to throw in turn.
        throw outcome.ok ? ['Error', 'The Durable Object did not answer with a Response.'] : outcome.value;
      });
  }

  /** Resolves with the method's result; rejects with [errorName, message] as the object threw it. */
  call(className: string, id: string, name: string | null, method: string, args: unknown[], caller: Caller): Promise<unknown> {
    return this.#run(className, id, name, ObjectEventKind.Call, [method, args], caller).then((outcome) => {
      if (outcome.kind === 'result') {
        if (outcome.ok) return outcome.value;
        throw outcome.value;
      }
      // A platform answer in place of a result: the object was cut off (a limit, a restart).
      const body = outcome.response.body;
      throw ['Error', typeof body === 'string' ? body.trim() : `The Durable Object failed (${outcome.response.status}).`];
    });
  }

  /**
   * Runs the object's alarm() if its alarm is (still) due. A handler that throws runs again after
   * 2 s, 4 s, 8 s ... up to 6 retries, with alarmInfo.retryCount telling which attempt it is.
   */
  alarm(className: string, id: string, retries: number): Promise<boolean> {
    const live = this.object(className, id, null);
    const traceId = randomBytes(16).toString('hex');
    return new Promise((resolve) => {
      live.enqueue({
        kind: ObjectEventKind.Alarm, args: [retries], traceId, hops: 0,
        done: (outcome: EventOutcome) => {
          const ok = outcome.kind === 'result' && outcome.ok;
          if (!ok) {
            const reason = outcome.kind === 'result' ? describe(outcome.value) : `status ${outcome.response.status}`;
            if (retries < ALARM_MAX_RETRIES) {
              live.retryAlarm(Date.now() + ALARM_FIRST_RETRY_MS * 2 ** retries, retries + 1);
              this.log.workerError(this.worker, traceId, `Durable Object alarm of ${className} failed (${reason}); retry ${retries + 1} of ${ALARM_MAX_RETRIES} is scheduled.`);
            } else {
              this.log.workerError(this.worker, traceId, `Durable Object alarm of ${className} failed (${reason}) after ${ALARM_MAX_RETRIES} retries; it is dropped.`);
            }
          }
          resolve(ok);
        },
      });
    });
  }

  #run(className: string, id: string, name: string | null, kind: number, args: unknown[], caller: Caller): Promise<EventOutcome> {
    const live = this.object(className, id, name);
    return new Promise((resolve) => live.enqueue({ kind, args, traceId: caller.traceId, hops: caller.hops + 1, done: resolve }));
  }

  /**
   * Objects idle for longer than idleMs leave memory. One with hibernatable WebSockets hibernates: its
   * instance goes, its record (and so its sockets, its handle) stays for the next event to build it anew.
   */
  evictIdle(now = performance.now()): number {
    let evicted = 0;
    for (const [key, live] of this.#objects) {
      if (now - live.lastActive < this.#idleMs) continue;
      if (!live.evict()) continue;
      if (live.sockets.size > 0) continue;
      this.#objects.delete(key);
      this.#byHandle.delete(live.handle);
      evicted++;
    }
    return evicted;
  }

  /** A new version of the worker is here: objects active now keep their code for at most max_delay. */
  codeUpdated(): void {
    for (const live of this.#objects.values()) live.codeUpdated();
  }

  /** Every hibernatable WebSocket closes with 1001 (shutdown), so clients are told before the process goes. */
  closeSockets(): void {
    for (const live of this.#objects.values()) live.sockets.shutAll(CloseCode.GoingAway, 'The server is shutting down.');
  }

  close(): void {
    clearInterval(this.#sweeper);
    for (const live of this.#objects.values()) live.close();
    this.#objects.clear();
    this.#byHandle.clear();
  }
}

function describe(value: unknown): string {
  if (Array.isArray(value) && typeof value[1] === 'string') return `${String(value[0])}: ${value[1]}`;
  return 'the handler failed';
}
