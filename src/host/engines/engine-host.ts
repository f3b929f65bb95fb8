// An engine: the versions it knows, the isolates it keeps resident and the requests running in them.
// It speaks the engine protocol through a callback and knows nothing of IPC, so the same code runs in
// an engine process (engine-main.ts) and, without crash containment, inside the supervisor.
import { mkdirSync } from 'node:fs';
import { isByteSource } from '../isolates/byte-source.js';
import { IsolatePool } from '../isolates/isolate-pool.js';
import { DurableObjectsService } from '../bindings/durable-objects/durable-objects-service.js';
import type { WorkerInstance } from '../isolates/worker-instance.js';
import type { RequestContext } from '../isolates/request-context.js';
import { platformResponse, type OutgoingResponse } from '../isolates/request-types.js';
import { Outbound } from '../outbound/outbound-fetch.js';
import { SqliteKvStore } from '../storage/kv/sqlite-kv-store.js';
import { SqliteCacheStore } from '../storage/cache/sqlite-cache-store.js';
import { DEFAULT_LIMITS } from '../workers/worker-config.js';
import { PointBatcher } from '../bindings/analytics/point-batcher.js';
import type { EnginePoint, EngineRequest, EngineStats, FromEngine, ToEngine, VersionSpec } from './engine-protocol.js';
import type { RunningRecorder } from './running-record.js';
import { BodyPump, BodyReceiver } from './body-channel.js';
import { ResidentVersion } from './resident-version.js';
import { EngineSocketEnd } from './socket-channel.js';
import { ServiceCallClient } from './service-calls.js';
import { QueueWriter } from '../bindings/queues/queue-writer.js';
import { SqliteQueueStore } from '../storage/queues/sqlite-queue-store.js';
import { EngineUsage, type WorkerMeter } from '../observability/usage/engine-usage.js';
import type { PendingRow } from '../observability/usage/usage-report.js';

export interface EngineOptions {
  dataDir: string;
  /** CIDRs and hostnames tenant subrequests may reach beyond the public Internet. */
  egressAllow: readonly string[];
  /** Booted isolates kept ready for cold starts. */
  spares: number;
  /** Isolates kept resident at most; beyond it the least recently used idle one is evicted. */
  maxResident: number;
  /** Sum of resident isolates' heaps (sampled) beyond which idle ones are evicted. */
  maxResidentMb: number;
  /**
   * The supervisor kills an engine that has not answered a ping for this long (at least; longer when a
   * version's CPU limit allows one call to run longer). Default 10 s.
   */
  hangMs?: number;
  /** Resident memory (MiB) past which the supervisor kills the engine; unset: no limit. */
  memoryLimitMb?: number;
  /** MiB each Durable Object's database may hold (default: DEFAULT_OBJECT_STORAGE_MB). */
  objectStorageMb?: number;
  /** How long an object active at a deploy keeps its code (default: DEFAULT_CODE_UPDATE_MAX_DELAY_MS). */
  codeUpdateMaxDelayMs?: number;
}

export interface EngineHostOptions extends EngineOptions {
  send: (message: FromEngine) => void;
  /** Where "this version's code is running" goes; engine processes give the supervisor's pipe. */
  recorder?: RunningRecorder;
  /** How often resident isolates' heaps are sampled for `maxResidentMb`. */
  sampleMs?: number;
}

const MB = 1024 * 1024;

export class EngineHost {
  readonly #options: EngineHostOptions;
  readonly #send: (message: FromEngine) => void;
  readonly #pool: IsolatePool;
  /** Durable Objects of this engine's workers: every version of a worker runs here (engineSlot), so each object once. */
  readonly #objects: DurableObjectsService;
  readonly #store: SqliteKvStore;
  readonly #cacheStore: SqliteCacheStore;
  /** Analytics Engine points of this turn, sent to the supervisor in one message after it. */
  readonly #points: PointBatcher<EnginePoint>;
  readonly #outbound: Outbound;
  readonly #versions = new Map<string, ResidentVersion>();
  /** Versions that may hold an isolate; pruned when they are looked at. */
  readonly #resident = new Set<ResidentVersion>();
  /** Replaced versions finishing their requests (and waitUntil work) on the old isolate. */
  readonly #retiring = new Set<ResidentVersion>();
  readonly #sampler: NodeJS.Timeout;
  /** Streamed request bodies arriving from the supervisor, by request seq. */
  readonly #uploads = new Map<number, BodyReceiver>();
  /** Streamed response bodies going to the supervisor, by request seq. */
  readonly #downloads = new Map<number, BodyPump>();
  /** WebSockets of this engine's workers whose clients the supervisor holds, by the seq of the request that opened them. */
  readonly #sockets = new Map<number, EngineSocketEnd>();
  /** Service binding calls of this engine's workers, answered by the supervisor. */
  readonly #serviceCalls: ServiceCallClient;
  /** What the workers use, reported to the supervisor with each pong and stats answer. */
  readonly #usage = new EngineUsage();
  #tick = 0;
  #inFlight = 0;
  #closed = false;

  /** Throws EgressConfigError for an invalid allow entry, before anything is opened. */
  constructor(options: EngineHostOptions) {
    this.#outbound = new Outbound({ egress: { allow: options.egressAllow } });
    this.#options = options;
    this.#send = options.send;
    this.#serviceCalls = new ServiceCallClient(options.send);
    mkdirSync(options.dataDir, { recursive: true });
    this.#store = new SqliteKvStore(options.dataDir);
    this.#cacheStore = new SqliteCacheStore(options.dataDir);
    this.#points = new PointBatcher<EnginePoint>((batch) => this.#send({ t: 'points', p: batch }), () => {});
    this.#pool = new IsolatePool({ spares: options.spares, memoryMb: DEFAULT_LIMITS.memoryMb });
    this.#objects = new DurableObjectsService({
      dataDir: options.dataDir,
      ...(options.objectStorageMb !== undefined ? { maxStorageBytes: options.objectStorageMb * 1024 * 1024 } : {}),
      ...(options.codeUpdateMaxDelayMs !== undefined ? { codeUpdateMaxDelayMs: options.codeUpdateMaxDelayMs } : {}),
      log: {
        console: (worker, traceId, level, message) => this.#send({ t: 'log', worker, traceId, level, message }),
        workerError: (worker, traceId, message) => this.#send({ t: 'log', worker, traceId, level: 'platform', message }),
      },
    });
    this.#sampler = setInterval(() => this.#sample(), options.sampleMs ?? 1_000);
    this.#sampler.unref();
  }

  handle(message: ToEngine): void {
    if (this.#serviceCalls.receive(message)) return;
    switch (message.t) {
      case 'req': this.#request(message.r); return;
      case 'spec': this.#define(message.spec); return;
      case 'warm': this.#warm(message.id, message.seq); return;
      case 'drop': this.#drop(message.id); return;
      case 'stats': this.#reportUsage(); this.#send({ t: 'stats', seq: message.seq, stats: this.stats() }); return;
      case 'ping': this.#reportUsage(); this.#send({ t: 'pong', seq: message.seq }); return;
      case 'alarm': this.#alarm(message.seq, message.id, message.cls, message.obj, message.retries); return;
      case 'shutdown': void this.drain(message.graceMs).then(() => this.#send({ t: 'drained' })); return;
      case 'chunk': this.#uploads.get(message.seq)?.push(message.c); return;
      case 'abort': this.#uploads.get(message.seq)?.fail(message.m); return;
      case 'credit': this.#downloads.get(message.seq)?.credit(message.n); return;
      case 'cancel': this.#downloads.get(message.seq)?.cancel('The client disconnected.'); return;
      case 'wsm': case 'wsc': case 'wsa': this.#sockets.get(message.seq)?.receive(message); return;
    }
  }

  /**
   * The isolate a worker's objects run in: its highest-numbered version this engine holds (the one a
   * deploy added last). Objects of an older version move once their events in flight are done.
   */
  #objectTarget(worker: string): WorkerInstance {
    let newest: ResidentVersion | null = null;
    for (const version of this.#versions.values()) {
      if (version.spec.worker !== worker || (version.spec.durableObjects ?? []).length === 0) continue;
      if (newest === null || (version.spec.number ?? 0) > (newest.spec.number ?? 0)) newest = version;
    }
    if (newest === null || this.#closed) throw new Error('no version of this worker is loaded in this engine');
    newest.lastUsed = ++this.#tick;
    if (!newest.worker.resident) this.#makeRoom(newest);
    const instance = newest.worker.warm();
    this.#resident.add(newest);
    return instance;
  }

  #alarm(seq: number, versionId: string, className: string, objectId: string, retries: number): void {
    const version = this.#versions.get(versionId);
    const answer = (ok: boolean) => this.#send({ t: 'alarmed', seq, ok });
    if (version === undefined || this.#closed || typeof className !== 'string' || typeof objectId !== 'string') { answer(false); return; }
    const spec = version.spec;
    const directory = this.#objects.directory(spec.tenant ?? spec.worker, spec.worker, () => this.#objectTarget(spec.worker));
    void directory.alarm(className, objectId, typeof retries === 'number' ? retries : 0).then(answer, () => answer(false));
  }

  #define(spec: VersionSpec): void {
    const old = this.#versions.get(spec.id);
    if (old !== undefined) this.#retire(old);
    this.#versions.set(spec.id, new ResidentVersion(spec, {
      pool: this.#pool, store: this.#store, cacheStore: this.#cacheStore, points: (point) => this.#points.add(point), outbound: this.#outbound, send: this.#send, recorder: this.#options.recorder ?? null,
      serviceCalls: this.#serviceCalls,
      queueWriter: () => this.#queueWriterOf(),
      durableObjects: this.#objects,
      objectTarget: (worker) => this.#objectTarget(worker),
      usage: this.#usage,
    }));
    this.#codeUpdated(spec);
  }

  /** Objects of the worker active now keep their code for max_delay at most (the directory checks which version is current). */
  #codeUpdated(spec: VersionSpec): void {
    if ((spec.durableObjects ?? []).length > 0) this.#objects.find(spec.tenant ?? spec.worker, spec.worker)?.codeUpdated();
  }

  /** Opened on the first version with a queue producer; the supervisor's dispatcher reads what it writes. */
  #queueWriter: QueueWriter | null = null;
  #queueWriterOf(): QueueWriter {
    this.#queueWriter ??= new QueueWriter(new SqliteQueueStore(this.#options.dataDir));
    return this.#queueWriter;
  }

  #request(r: EngineRequest): void {
    const [seq, id, method, url, headers, sent, traceId, hops, scheduled, service, queue, spanId] = r;
    let body: ArrayBuffer | BodyReceiver | null = null;
    if (sent === true) {
      const receiver = new BodyReceiver(seq, this.#send, () => this.#uploads.delete(seq));
      this.#uploads.set(seq, receiver);
      body = receiver;
    } else {
      body = sent;
    }
    const version = this.#versions.get(id);
    if (version === undefined || this.#closed) {
      this.#reply(seq, platformResponse(503, 'Service Unavailable: this engine does not serve that version.\n', 'unavailable'), 0, -1, null);
      return;
    }
    // Body bytes are metered for fetch events, not for a cron run's, a queue batch's or an RPC call's data.
    const fetchEvent = (scheduled ?? null) === null && typeof queue !== 'string' && (service?.[1] ?? null) === null;
    const meter = fetchEvent ? version.meter : null;
    if (meter !== null) {
      if (body instanceof ArrayBuffer) meter.received.bytes += body.byteLength;
      else if (body !== null) body.counted = meter.received;
    }
    version.lastUsed = ++this.#tick;
    if (!version.worker.resident) this.#makeRoom(version);
    const pending: PendingRequest = { traceId, ctx: null };
    version.unmatched.push(pending);
    version.inFlight++;
    this.#inFlight++;
    version.coldStartMs = -1;
    const answer = version.worker.fetch({
      method, url, headers, body, traceId, hops, spanId,
      ...(scheduled !== undefined && scheduled !== null ? { scheduled: { cron: scheduled[0], scheduledTime: scheduled[1] } } : {}),
      ...(service?.[0] !== undefined && service[0] !== null ? { entrypoint: service[0] } : {}),
      ...(service?.[1] !== undefined && service[1] !== null ? { rpc: { method: service[1] } } : {}),
      ...(typeof queue === 'string' ? { queue: { queue } } : {}),
    });
    const coldStartMs = version.coldStartMs;
    if (coldStartMs >= 0) this.#resident.add(version);
    void answer.then((response) => {
      version.inFlight--;
      this.#inFlight--;
      if (pending.ctx === null) version.forget(pending);
      this.#reply(seq, response, pending.ctx?.cpuMs ?? 0, coldStartMs, meter);
    });
  }

  /** `meter`: where the response body's bytes are counted, if anywhere. */
  #reply(seq: number, response: OutgoingResponse, cpuMs: number, coldStartMs: number, meter: WorkerMeter | null): void {
    if (response.webSocket !== undefined) {
      // A WebSocket: the 101 goes first, then whatever the worker sent before it, as 'wsm' messages.
      this.#uploads.get(seq)?.cancel();
      this.#send({ t: 'res', r: [seq, 101, response.statusText, response.headers, null, cpuMs, coldStartMs, null] });
      const end = new EngineSocketEnd(seq, this.#send, () => this.#sockets.delete(seq));
      this.#sockets.set(seq, end);
      end.worker = response.webSocket.connect(end);
      return;
    }
    const body = response.body;
    // A request body lives as long as its response: a streamed response may still be reading it.
    const endUpload = () => this.#uploads.get(seq)?.cancel();
    if (!isByteSource(body)) {
      if (meter !== null && body !== null) meter.sent.bytes += typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
      endUpload();
      this.#send({ t: 'res', r: [seq, response.status, response.statusText, response.headers, body, cpuMs, coldStartMs, response.failure ?? null] });
      return;
    }
    this.#send({ t: 'res', r: [seq, response.status, response.statusText, response.headers, true, cpuMs, coldStartMs, response.failure ?? null] });
    const pump = new BodyPump(seq, body, this.#send, () => { this.#downloads.delete(seq); endUpload(); });
    if (meter !== null) pump.counted = meter.sent;
    this.#downloads.set(seq, pump);
  }

  #warm(id: string, seq: number): void {
    const version = this.#versions.get(id);
    if (version === undefined || this.#closed) {
      this.#send({ t: 'warmed', seq, id, ok: false, error: 'this engine does not know that version', ms: 0 });
      return;
    }
    version.lastUsed = ++this.#tick;
    if (!version.worker.resident) this.#makeRoom(version);
    const started = performance.now();
    try {
      version.worker.warm();
      this.#resident.add(version);
      this.#send({ t: 'warmed', seq, id, ok: true, error: null, ms: performance.now() - started });
    } catch (err) {
      const message = version.mapStack(err instanceof Error ? err.message : String(err));
      this.#send({ t: 'warmed', seq, id, ok: false, error: message, ms: performance.now() - started });
    }
  }

  /** A version that takes no more traffic (a deploy, a rollback) still finishes what it is doing. */
  #drop(id: string): void {
    const version = this.#versions.get(id);
    if (version === undefined) return;
    this.#versions.delete(id);
    this.#retire(version);
    this.#codeUpdated(version.spec);
  }

  /** The old isolate keeps the requests it has; it goes once they (and their waitUntil work) are done. */
  #retire(version: ResidentVersion): void {
    this.#resident.delete(version);
    if (version.idle) version.worker.dispose();
    else this.#retiring.add(version);
  }

  /** Keeps the resident count under `maxResident` before `incoming` takes an isolate. */
  #makeRoom(incoming: ResidentVersion): void {
    let count = 0;
    for (const version of this.#resident) {
      if (version.worker.resident) count++;
      else this.#resident.delete(version);
    }
    while (count >= this.#options.maxResident && this.#evictOne(incoming) !== null) count--;
  }

  /** Evicts the least recently used idle isolate; a later request for it is a cold start. */
  #evictOne(keep: ResidentVersion | null): ResidentVersion | null {
    let victim: ResidentVersion | null = null;
    for (const version of this.#resident) {
      if (version === keep || !version.idle) continue;
      if (victim === null || version.lastUsed < victim.lastUsed) victim = version;
    }
    if (victim === null) return null;
    this.#resident.delete(victim);
    victim.worker.dispose();
    return victim;
  }

  /** Heap statistics cost a lock per isolate, so they are read on a timer, never per request. */
  #sample(): void {
    let total = 0;
    for (const version of this.#resident) {
      if (!version.worker.resident) { this.#resident.delete(version); continue; }
      total += version.sampleHeap();
    }
    const limit = this.#options.maxResidentMb * MB;
    while (total > limit) {
      const evicted = this.#evictOne(null);
      if (evicted === null) break;
      total -= evicted.heapBytes;
    }
    for (const version of this.#retiring) {
      if (version.idle) { this.#retiring.delete(version); version.worker.dispose(); }
    }
  }

  stats(): EngineStats {
    const isolates: EngineStats['isolates'] = [];
    for (const version of this.#resident) {
      if (!version.worker.resident) continue;
      isolates.push({
        id: version.spec.id, worker: version.spec.worker, heapUsedBytes: version.sampleHeap(),
        heapLimitBytes: version.spec.limits.memoryMb * MB, inFlight: version.inFlight,
      });
    }
    const memory = process.memoryUsage();
    return {
      pid: process.pid, resident: isolates.length, known: this.#versions.size, inFlight: this.#inFlight,
      rssBytes: memory.rss, heapUsedBytes: memory.heapUsed, isolates,
    };
  }

  /**
   * Answers what is in flight and lets waitUntil work run, for up to `graceMs`; whatever is still
   * running then is answered 503 as its isolate goes. No request is accepted afterwards.
   */
  async drain(graceMs: number): Promise<void> {
    const deadline = performance.now() + graceMs;
    // Open WebSockets would hold their requests for the whole grace period: their clients are told to go (1001).
    for (const version of [...this.#versions.values(), ...this.#retiring]) version.worker.instance?.closeSockets();
    this.#objects.closeSockets();
    while (this.#busy() && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    this.close();
    // The 503s of isolates disposed just now are sent from promise callbacks.
    await new Promise((resolve) => setImmediate(resolve));
    // Points written by the last requests and waitUntil work go before 'drained', and so does their usage.
    this.#points.flush();
    this.#reportUsage();
  }

  /** Sends what the workers used since the last report, with the waitUntil work running now. */
  #reportUsage(): void {
    const pending: PendingRow[] = [];
    const byWorker = new Map<string, number>();
    for (const version of [...this.#versions.values(), ...this.#retiring]) {
      const invocations = version.worker.instance?.waitUntilPending ?? 0;
      if (invocations > 0) byWorker.set(version.spec.worker, (byWorker.get(version.spec.worker) ?? 0) + invocations);
    }
    for (const [worker, invocations] of byWorker) pending.push([worker, invocations]);
    const report = this.#usage.take(pending);
    if (report !== null) this.#send({ t: 'usage', u: report });
  }

  #busy(): boolean {
    if (this.#inFlight > 0) return true;
    for (const version of this.#versions.values()) if (!version.idle) return true;
    for (const version of this.#retiring) if (!version.idle) return true;
    return false;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#sampler);
    for (const version of [...this.#versions.values(), ...this.#retiring]) version.worker.dispose();
    this.#resident.clear();
    this.#retiring.clear();
    this.#options.recorder?.close();
    this.#serviceCalls.close();
    this.#pool.close();
    this.#objects.close();
    void this.#outbound.close();
    // KV writes already started finish first; the store closes after them.
    setImmediate(() => { this.#store.close(); this.#cacheStore.close(); });
  }
}

/** A request sent into a worker, until the call that dispatched it is known (for its CPU time). */
export interface PendingRequest {
  traceId: string;
  ctx: RequestContext | null;
}
