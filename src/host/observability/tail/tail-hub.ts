// Live tails of workers (`islet tail`, the dashboard): each finished request of a tailed worker
// becomes one event carrying the console lines and exceptions of that request, grouped by trace id as
// `wrangler tail` shows them. The platform reports requests here as an observer and the log sink tees
// lines in; with nobody tailing a worker, both cost one Map lookup and nothing is kept.
import { LogLevel, type LogLevelCode } from '../../../shared/boundary.js';
import type { LogSink } from '../log-sink.js';
import type { PlatformObserver, RequestOutcome } from '../platform-observer.js';
import { requestRecord, type RequestRecord } from '../logs/request-record.js';

export interface TailFilter {
  /** `ok`: requests the platform answered without a failure; `error`: those with one. */
  status: 'ok' | 'error' | null;
  /** The share of requests sent, from 0 to 1, decided per request. */
  sampling: number;
  /** Only requests whose path, a console line or an exception contains this text (case-sensitive). */
  search: string | null;
}

export interface TailLog { level: string; message: string; time: string }
export interface TailException { message: string; time: string }

/** A cron run or queue batch: named by its trigger, as wrangler tail shows them, not by a URL. */
export type TailTriggerRecord = Omit<RequestRecord, 'type' | 'method' | 'host' | 'path'>
  & ({ type: 'scheduled'; cron: string; scheduledTime: number } | { type: 'queue'; queue: string });
export type TailRequestEvent = (RequestRecord | TailTriggerRecord) & { logs: TailLog[]; exceptions: TailException[] };
/** A line logged after its request's event went out (waitUntil work), or outside any request. */
export interface TailLogEvent { type: 'log'; time: string; worker: string; traceId: string | null; level: string; message: string }

export interface TailLimits {
  /** Tails open at once, over all workers. */
  maxTails: number;
  /** Requests per worker whose lines are held until they finish; the oldest are let go first. */
  maxPendingTraces: number;
  /** Lines held per request; beyond this they are counted, not kept. */
  maxLinesPerTrace: number;
}

export const DEFAULT_TAIL_LIMITS: TailLimits = { maxTails: 16, maxPendingTraces: 512, maxLinesPerTrace: 256 };

const LEVEL_NAMES: Record<number, string> = {
  [LogLevel.Debug]: 'debug', [LogLevel.Info]: 'info', [LogLevel.Log]: 'log', [LogLevel.Warn]: 'warn', [LogLevel.Error]: 'error',
};
/** Trace ids a tail remembers having sent, so lines that come later follow their request. */
const REMEMBERED_TRACES = 256;

interface Pending { logs: TailLog[]; exceptions: TailException[]; cut: number }

class Subscription {
  readonly worker: string;
  readonly filter: TailFilter;
  readonly send: (line: string) => void;
  readonly end: () => void;
  readonly sent = new Set<string>();

  constructor(worker: string, filter: TailFilter, send: (line: string) => void, end: () => void) {
    this.worker = worker;
    this.filter = filter;
    this.send = send;
    this.end = end;
  }

  wants(event: TailRequestEvent): boolean {
    const { status, sampling, search } = this.filter;
    if (status !== null && (event.outcome === 'ok') !== (status === 'ok')) return false;
    if (sampling < 1 && !(Math.random() < sampling)) return false;
    const named = event.type === 'request' ? event.path : event.type === 'scheduled' ? event.cron : event.queue;
    if (search !== null && !named.includes(search) && !event.logs.some((l) => l.message.includes(search))
      && !event.exceptions.some((e) => e.message.includes(search))) return false;
    return true;
  }

  remember(traceId: string): void {
    this.sent.add(traceId);
    if (this.sent.size > REMEMBERED_TRACES) this.sent.delete(this.sent.values().next().value!);
  }
}

export class TailHub implements PlatformObserver {
  readonly #limits: TailLimits;
  readonly #byWorker = new Map<string, Set<Subscription>>();
  /** worker -> trace id -> lines of a request still running, or null once its event went out. */
  readonly #pending = new Map<string, Map<string, Pending | null>>();
  #count = 0;

  constructor(limits: TailLimits = DEFAULT_TAIL_LIMITS) {
    this.#limits = limits;
  }

  /** Tails open now. */
  get size(): number { return this.#count; }
  get full(): boolean { return this.#count >= this.#limits.maxTails; }

  /**
   * Starts sending `worker`'s events to `send` (one JSON object per call, without a newline); `end`
   * is called if the hub closes. Returns the way to stop, or null when too many tails are open.
   */
  subscribe(worker: string, filter: TailFilter, send: (line: string) => void, end: () => void = () => {}): (() => void) | null {
    if (this.full) return null;
    const subscription = new Subscription(worker, filter, send, end);
    let set = this.#byWorker.get(worker);
    if (set === undefined) {
      set = new Set();
      this.#byWorker.set(worker, set);
    }
    set.add(subscription);
    this.#count++;
    let open = true;
    return () => {
      if (!open) return;
      open = false;
      this.#count--;
      set.delete(subscription);
      if (set.size === 0 && this.#byWorker.get(worker) === set) {
        this.#byWorker.delete(worker);
        this.#pending.delete(worker);
      }
    };
  }

  request(outcome: RequestOutcome): void {
    if (this.#count === 0) return;
    const subscriptions = this.#byWorker.get(outcome.worker);
    if (subscriptions === undefined) return;
    const pending = this.#pendingOf(outcome.worker);
    const held = pending.get(outcome.traceId) ?? undefined;
    // Kept as finished (null), so lines that come later follow the event rather than wait for another.
    pending.delete(outcome.traceId);
    this.#hold(pending, outcome.traceId, null);
    const logs = held?.logs ?? [];
    if (held !== undefined && held.cut > 0) {
      logs.push({ level: 'warn', message: `${held.cut} more line${held.cut === 1 ? ' was' : 's were'} logged and not kept for the tail.`, time: new Date().toISOString() });
    }
    const event: TailRequestEvent = { ...recordOf(outcome), logs, exceptions: held?.exceptions ?? [] };
    let line: string | null = null;
    for (const subscription of subscriptions) {
      if (!subscription.wants(event)) continue;
      line ??= JSON.stringify(event);
      subscription.remember(outcome.traceId);
      subscription.send(line);
    }
  }

  /** `inner`, with each line also given to the tails of its worker. */
  tee(inner: LogSink): LogSink {
    return {
      console: (worker, traceId, level, message) => {
        inner.console(worker, traceId, level, message);
        if (this.#count !== 0 && this.#byWorker.has(worker)) this.#line(worker, traceId, LEVEL_NAMES[level as LogLevelCode] ?? 'log', message, false);
      },
      workerError: (worker, traceId, message) => {
        inner.workerError(worker, traceId, message);
        if (this.#count !== 0 && this.#byWorker.has(worker)) this.#line(worker, traceId, 'error', message, true);
      },
    };
  }

  /** Ends every tail (the server is stopping). */
  close(): void {
    for (const set of [...this.#byWorker.values()]) for (const subscription of [...set]) subscription.end();
  }

  #pendingOf(worker: string): Map<string, Pending | null> {
    let pending = this.#pending.get(worker);
    if (pending === undefined) {
      pending = new Map();
      this.#pending.set(worker, pending);
    }
    return pending;
  }

  /** Requests that never report (the platform failed them) must not pile up: the oldest are let go. */
  #hold(pending: Map<string, Pending | null>, traceId: string, value: Pending | null): void {
    pending.set(traceId, value);
    if (pending.size > this.#limits.maxPendingTraces) pending.delete(pending.keys().next().value!);
  }

  #line(worker: string, traceId: string | null, level: string, message: string, exception: boolean): void {
    const time = new Date().toISOString();
    const pending = this.#pendingOf(worker);
    let held = traceId === null ? null : pending.get(traceId);
    if (held === null) {
      // Outside any request (module top level, a quarantine), or after its request's event went out:
      // then only to the tails that were sent that event.
      const line = JSON.stringify({ type: 'log', time, worker, traceId, level, message } satisfies TailLogEvent);
      for (const subscription of this.#byWorker.get(worker)!) {
        const { status, search } = subscription.filter;
        if (traceId !== null ? !subscription.sent.has(traceId) : status === 'ok' || (search !== null && !message.includes(search))) continue;
        subscription.send(line);
      }
      return;
    }
    if (held === undefined) {
      held = { logs: [], exceptions: [], cut: 0 };
      this.#hold(pending, traceId!, held);
    }
    if (held.logs.length + held.exceptions.length >= this.#limits.maxLinesPerTrace) held.cut++;
    else if (exception) held.exceptions.push({ message, time });
    else held.logs.push({ level, message, time });
  }
}

function recordOf(outcome: RequestOutcome): RequestRecord | TailTriggerRecord {
  const record = requestRecord(outcome);
  const event = outcome.event;
  if (event === undefined) return record;
  const { type: _type, method: _method, host: _host, path: _path, ...rest } = record;
  return event.kind === 'scheduled'
    ? { ...rest, type: 'scheduled', cron: event.cron, scheduledTime: event.scheduledTime }
    : { ...rest, type: 'queue', queue: event.queue };
}
