// The supervisor's side of the conversation with one engine, whatever carries it (a child process's
// IPC channel, or a direct call to an in-process EngineHost): which specs the engine has been sent,
// the requests, warms and stats questions awaiting an answer, and what they get when the engine goes.
// Messages from an engine are checked as `unknown`: an engine runs tenant code.
import { LogLevel, type LogLevelCode } from '../../shared/boundary.js';
import { isByteSource } from '../isolates/byte-source.js';
import { platformResponse, type IncomingRequest, type OutgoingResponse } from '../isolates/request-types.js';
import type { LogSink } from '../observability/log-sink.js';
import type { FailureKind } from '../observability/platform-observer.js';
import type { AnalyticsPoint } from '../storage/analytics/analytics-store.js';
import { pointsFromEngine, type DatasetGrants } from './analytics-points.js';
import { BodyPump, BodyReceiver, parseBodyMessage } from './body-channel.js';
import { RemoteWorkerSocket, parseSocketMessage } from './socket-channel.js';
import type { EngineRequest, EngineStats, ToEngine, VersionSpec } from './engine-protocol.js';
import { ServiceCallServer, type ServiceCallDispatch } from './service-calls.js';
import { parseUsageReport, type UsageReport } from '../observability/usage/usage-report.js';

export interface EngineResult extends OutgoingResponse {
  cpuMs: number;
  /** The cold start this request paid for, or -1 when its isolate was already running. */
  coldStartMs: number;
}

export type WarmResult = { ok: true; ms: number } | { ok: false; error: string };

export const ENGINE_STOPPED = 'Bad Gateway: the engine running this worker stopped unexpectedly.\n';
export const WARM_CRASHED = 'the engine crashed while loading the worker';

export class EngineClient {
  readonly #send: (message: ToEngine) => void;
  readonly #log: LogSink;
  /** Version id -> worker name, for every spec this engine holds. */
  readonly #known = new Map<string, string>();
  /** Version id -> the Analytics Engine datasets its spec granted, for the points the engine sends. */
  readonly #datasets = new Map<string, DatasetGrants>();
  /** Where checked Analytics Engine points go (the supervisor's analytics store); unset: dropped. */
  onPoints: ((points: AnalyticsPoint[]) => void) | null = null;
  /** Where the engine's checked usage reports go (the supervisor's UsageTotals); unset: dropped. */
  onUsage: ((report: UsageReport) => void) | null = null;
  /** Every worker this engine was given a version of: the only names its usage reports may use. */
  readonly #workerNames = new Set<string>();
  readonly #requests = new Map<number, (result: EngineResult) => void>();
  readonly #warms = new Map<number, (result: WarmResult) => void>();
  readonly #stats = new Map<number, (stats: EngineStats | null) => void>();
  readonly #pings = new Map<number, (alive: boolean) => void>();
  #maxCpuMs = 0;
  readonly #alarms = new Map<number, (ok: boolean) => void>();
  /** Streamed request bodies going to the engine, by request seq. */
  readonly #uploads = new Map<number, BodyPump>();
  /** Streamed response bodies coming from the engine, by request seq. */
  readonly #downloads = new Map<number, BodyReceiver>();
  /** WebSockets whose worker's end is in the engine, by the seq of the request that opened them. */
  readonly #sockets = new Map<number, RemoteWorkerSocket>();
  /** Service binding calls from the engine's workers; null when nothing dispatches them. */
  readonly #serviceCalls: ServiceCallServer | null;
  #seq = 0;
  #closed = false;

  constructor(send: (message: ToEngine) => void, log: LogSink, services?: ServiceCallDispatch) {
    this.#send = send;
    this.#log = log;
    this.#serviceCalls = services === undefined ? null : new ServiceCallServer(send, services, (id) => this.#known.has(id));
  }

  get inFlight(): number { return this.#requests.size; }
  get closed(): boolean { return this.#closed; }

  /** The worker of a version this engine holds, for blaming a crash on it. */
  workerOf(versionId: string): string | null { return this.#known.get(versionId) ?? null; }

  fetch(spec: VersionSpec, request: IncomingRequest): Promise<EngineResult> {
    if (this.#closed) return Promise.resolve(stopped());
    this.#introduce(spec);
    const seq = ++this.#seq;
    let body = request.body;
    if (isByteSource(body)) {
      this.#uploads.set(seq, new BodyPump(seq, body, this.#send, () => this.#uploads.delete(seq)));
      body = true as never;
    }
    return new Promise((resolve) => {
      this.#requests.set(seq, resolve);
      const r: EngineRequest = [seq, spec.id, request.method, request.url, request.headers, body as ArrayBuffer | null | true, request.traceId, request.hops ?? 0];
      if (request.scheduled !== undefined) r.push([request.scheduled.cron, request.scheduled.scheduledTime]);
      else if (request.rpc !== undefined || request.entrypoint !== undefined) r.push(null, [request.entrypoint ?? null, request.rpc?.method ?? null]);
      else if (request.queue !== undefined) r.push(null, null, request.queue.queue);
      if (request.spanId !== undefined) {
        while (r.length < 11) r.push(null);
        r.push(request.spanId);
      }
      this.#send({ t: 'req', r });
    });
  }

  warm(spec: VersionSpec): Promise<WarmResult> {
    if (this.#closed) return Promise.resolve({ ok: false, error: WARM_CRASHED });
    this.#introduce(spec);
    const seq = ++this.#seq;
    return new Promise((resolve) => {
      this.#warms.set(seq, resolve);
      this.#send({ t: 'warm', id: spec.id, seq });
    });
  }

  /** A spec changed (secrets): an engine that holds the version takes the new one and drops the old isolate. */
  replaceSpec(spec: VersionSpec): void {
    if (this.#closed || !this.#known.has(spec.id)) return;
    this.#known.set(spec.id, spec.worker);
    this.#grant(spec);
    this.#send({ t: 'spec', spec });
  }

  drop(versionId: string): void {
    if (this.#closed || !this.#known.delete(versionId)) return;
    this.#datasets.delete(versionId);
    this.#send({ t: 'drop', id: versionId });
  }

  /** Runs a Durable Object's alarm in the engine that holds the version; false when it failed or the engine went. */
  alarm(spec: VersionSpec, className: string, objectId: string, retries: number): Promise<boolean> {
    if (this.#closed) return Promise.resolve(false);
    this.#introduce(spec);
    const seq = ++this.#seq;
    return new Promise((resolve) => {
      this.#alarms.set(seq, resolve);
      this.#send({ t: 'alarm', seq, id: spec.id, cls: className, obj: objectId, retries });
    });
  }

  /** The largest CPU limit of the versions this engine holds: how long one call may keep it busy. */
  get maxCpuMs(): number { return this.#maxCpuMs; }

  /** Resolves true when the engine answers, false when it has gone first. Never times out itself. */
  ping(): Promise<boolean> {
    if (this.#closed) return Promise.resolve(false);
    const seq = ++this.#seq;
    return new Promise((resolve) => {
      this.#pings.set(seq, resolve);
      this.#send({ t: 'ping', seq });
    });
  }

  /** Null when the engine does not answer within `timeoutMs` or goes first. */
  stats(timeoutMs: number): Promise<EngineStats | null> {
    if (this.#closed) return Promise.resolve(null);
    const seq = ++this.#seq;
    return new Promise((resolve) => {
      const timer = setTimeout(() => { this.#stats.delete(seq); resolve(null); }, timeoutMs);
      this.#stats.set(seq, (stats) => { clearTimeout(timer); resolve(stats); });
      this.#send({ t: 'stats', seq });
    });
  }

  shutdown(graceMs: number): void {
    if (!this.#closed) this.#send({ t: 'shutdown', graceMs });
  }

  /** Sends the spec before the version's first use on this engine. */
  #introduce(spec: VersionSpec): void {
    if (this.#known.has(spec.id)) return;
    this.#known.set(spec.id, spec.worker);
    this.#workerNames.add(spec.worker);
    this.#maxCpuMs = Math.max(this.#maxCpuMs, spec.limits.cpuMs);
    this.#grant(spec);
    this.#send({ t: 'spec', spec });
  }

  #grant(spec: VersionSpec): void {
    if (spec.analytics !== undefined && spec.analytics.length > 0) this.#datasets.set(spec.id, spec.analytics);
    else this.#datasets.delete(spec.id);
  }

  /** One message from the engine; anything malformed is dropped. */
  receive(message: unknown): void {
    if (typeof message !== 'object' || message === null) return;
    const m = message as Record<string, unknown>;
    if (this.#serviceCalls?.receive(m) === true) return;
    switch (m.t) {
      case 'res': this.#onResponse(m.r); return;
      case 'chunk': case 'abort': case 'credit': case 'cancel': {
        const body = parseBodyMessage(m);
        if (body === null) return;
        if (body.t === 'chunk') this.#downloads.get(body.seq)?.push(body.c === null || Buffer.isBuffer(body.c) ? body.c : Buffer.from(body.c.buffer, body.c.byteOffset, body.c.byteLength));
        else if (body.t === 'abort') this.#downloads.get(body.seq)?.fail(body.m);
        else if (body.t === 'credit') this.#uploads.get(body.seq)?.credit(body.n);
        else this.#uploads.get(body.seq)?.cancel('The worker canceled the request body.');
        return;
      }
      case 'wsm': case 'wsc': case 'wsa': {
        const socket = parseSocketMessage(m);
        if (socket !== null) this.#sockets.get(socket.seq)?.receive(socket);
        return;
      }
      case 'log': this.#onLog(m); return;
      case 'usage': {
        const report = parseUsageReport(m.u, (worker) => this.#workerNames.has(worker));
        if (report !== null) this.onUsage?.(report);
        return;
      }
      case 'points': {
        const points = pointsFromEngine(m.p, (id) => this.#datasets.get(id));
        if (points.length > 0) this.onPoints?.(points);
        return;
      }
      case 'warmed': {
        const resolve = typeof m.seq === 'number' ? this.#warms.get(m.seq) : undefined;
        if (resolve === undefined) return;
        this.#warms.delete(m.seq as number);
        const ms = typeof m.ms === 'number' ? m.ms : 0;
        resolve(m.ok === true ? { ok: true, ms } : { ok: false, error: typeof m.error === 'string' ? m.error : 'the worker failed to load' });
        return;
      }
      case 'alarmed': {
        const resolve = typeof m.seq === 'number' ? this.#alarms.get(m.seq) : undefined;
        if (resolve === undefined) return;
        this.#alarms.delete(m.seq as number);
        resolve(m.ok === true);
        return;
      }
      case 'pong': {
        const resolve = typeof m.seq === 'number' ? this.#pings.get(m.seq) : undefined;
        this.#pings.delete(m.seq as number);
        resolve?.(true);
        return;
      }
      case 'stats': {
        const resolve = typeof m.seq === 'number' ? this.#stats.get(m.seq) : undefined;
        if (resolve === undefined || typeof m.stats !== 'object' || m.stats === null) return;
        this.#stats.delete(m.seq as number);
        resolve(m.stats as EngineStats);
        return;
      }
    }
  }

  #onResponse(r: unknown): void {
    if (!Array.isArray(r) || r.length !== 8) return;
    const [seq, status, statusText, headers, body, cpuMs, coldStartMs, failure] = r as unknown[];
    const resolve = typeof seq === 'number' ? this.#requests.get(seq) : undefined;
    if (resolve === undefined) return;
    this.#requests.delete(seq as number);
    if (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 599
      || typeof statusText !== 'string' || typeof headers !== 'string'
      || !(body === null || body === true || typeof body === 'string' || body instanceof Uint8Array)) {
      this.#uploads.get(seq as number)?.cancel('The engine sent an invalid response.');
      resolve({ ...platformResponse(502, 'Bad Gateway: the engine sent an invalid response.\n', 'bad_gateway'), cpuMs: 0, coldStartMs: -1 });
      return;
    }
    const s = seq as number;
    // A request body lives as long as its response: a streamed response may still be reading it.
    const endUpload = () => this.#uploads.get(s)?.cancel('The response is complete.');
    const cost = { cpuMs: typeof cpuMs === 'number' ? cpuMs : 0, coldStartMs: typeof coldStartMs === 'number' ? coldStartMs : -1 };
    const kind = ENGINE_FAILURES.get(failure);
    if (status === 101) {
      // The worker's WebSocket: its messages follow as 'wsm' once the front door connects a client.
      endUpload();
      const socket = new RemoteWorkerSocket(s, this.#send, () => this.#sockets.delete(s));
      this.#sockets.set(s, socket);
      resolve({ status, statusText, headers, body: null, webSocket: socket, ...cost });
      return;
    }
    let out: OutgoingResponse['body'];
    if (body === true) {
      const receiver = new BodyReceiver(s, this.#send, () => { this.#downloads.delete(s); endUpload(); });
      this.#downloads.set(s, receiver);
      out = receiver;
    } else {
      endUpload();
      out = body instanceof Uint8Array && !Buffer.isBuffer(body) ? Buffer.from(body.buffer, body.byteOffset, body.byteLength) : body;
    }
    resolve({ status, statusText, headers, body: out, ...cost, ...(kind !== undefined ? { failure: kind } : {}) });
  }

  #onLog(m: Record<string, unknown>): void {
    const { worker, traceId, level, message } = m;
    if (typeof worker !== 'string' || typeof message !== 'string' || !(traceId === null || typeof traceId === 'string')) return;
    if (level === 'platform') this.#log.workerError(worker, traceId, message);
    else if (typeof level === 'number' && LEVELS.has(level)) this.#log.console(worker, traceId, level as LogLevelCode, message);
  }

  /** The engine is gone: every request waiting on it is answered 502, warms fail, stats are null. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const requests = [...this.#requests.values()];
    const warms = [...this.#warms.values()];
    for (const resolve of this.#pings.values()) resolve(false);
    this.#pings.clear();
    const stats = [...this.#stats.values()];
    const downloads = [...this.#downloads.values()];
    const uploads = [...this.#uploads.values()];
    this.#requests.clear();
    this.#warms.clear();
    this.#stats.clear();
    this.#known.clear();
    this.#serviceCalls?.close();
    for (const resolve of requests) resolve(stopped());
    for (const resolve of warms) resolve({ ok: false, error: WARM_CRASHED });
    for (const resolve of stats) resolve(null);
    for (const resolve of [...this.#alarms.values()]) resolve(false);
    this.#alarms.clear();
    // A response cut off by the engine's death must not look whole to the client.
    for (const receiver of downloads) receiver.fail('The engine running this worker stopped.');
    for (const pump of uploads) pump.cancel('The engine running this worker stopped.');
    for (const socket of [...this.#sockets.values()]) socket.engineStopped();
  }
}

const LEVELS = new Set<number>(Object.values(LogLevel));

/** The failures an engine's runtime answers with; the others are the supervisor's and platform's own. */
const ENGINE_FAILURES = new Map<unknown, FailureKind>(
  (['exception', 'cpu_limit', 'memory_limit', 'wall_limit', 'unavailable'] as const).map((kind) => [kind, kind]));

function stopped(): EngineResult {
  return { ...platformResponse(502, ENGINE_STOPPED, 'bad_gateway'), cpuMs: 0, coldStartMs: -1 };
}
