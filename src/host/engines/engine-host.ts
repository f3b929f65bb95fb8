// An engine: the versions it knows, the isolates it keeps resident and the requests running in them.
// It speaks the engine protocol through a callback and knows nothing of IPC, so the same code runs in
// an engine process (engine-main.ts) and, without crash containment, inside the supervisor.
import { mkdirSync } from 'node:fs';
import { isByteSource } from '../isolates/byte-source.js';
import { IsolatePool } from '../isolates/isolate-pool.js';
import type { RequestContext } from '../isolates/request-context.js';
import { platformResponse, type OutgoingResponse } from '../isolates/request-types.js';
import { Outbound } from '../outbound/outbound-fetch.js';
import { SqliteKvStore } from '../storage/kv/sqlite-kv-store.js';
import { DEFAULT_LIMITS } from '../workers/worker-config.js';
import type { EngineRequest, EngineStats, FromEngine, ToEngine, VersionSpec } from './engine-protocol.js';
import type { RunningRecorder } from './running-record.js';
import { BodyPump, BodyReceiver } from './body-channel.js';
import { ResidentVersion } from './resident-version.js';

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
  readonly #store: SqliteKvStore;
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
  #tick = 0;
  #inFlight = 0;
  #closed = false;

  /** Throws EgressConfigError for an invalid allow entry, before anything is opened. */
  constructor(options: EngineHostOptions) {
    this.#outbound = new Outbound({ egress: { allow: options.egressAllow } });
    this.#options = options;
    this.#send = options.send;
    mkdirSync(options.dataDir, { recursive: true });
    this.#store = new SqliteKvStore(options.dataDir);
    this.#pool = new IsolatePool({ spares: options.spares, memoryMb: DEFAULT_LIMITS.memoryMb });
    this.#sampler = setInterval(() => this.#sample(), options.sampleMs ?? 1_000);
    this.#sampler.unref();
  }

  handle(message: ToEngine): void {
    switch (message.t) {
      case 'req': this.#request(message.r); return;
      case 'spec': this.#define(message.spec); return;
      case 'warm': this.#warm(message.id, message.seq); return;
      case 'drop': this.#drop(message.id); return;
      case 'stats': this.#send({ t: 'stats', seq: message.seq, stats: this.stats() }); return;
      case 'shutdown': void this.drain(message.graceMs).then(() => this.#send({ t: 'drained' })); return;
      case 'chunk': this.#uploads.get(message.seq)?.push(message.c); return;
      case 'abort': this.#uploads.get(message.seq)?.fail(message.m); return;
      case 'credit': this.#downloads.get(message.seq)?.credit(message.n); return;
      case 'cancel': this.#downloads.get(message.seq)?.cancel('The client disconnected.'); return;
    }
  }

  #define(spec: VersionSpec): void {
    const old = this.#versions.get(spec.id);
    if (old !== undefined) this.#retire(old);
    this.#versions.set(spec.id, new ResidentVersion(spec, {
      pool: this.#pool, store: this.#store, outbound: this.#outbound, send: this.#send, recorder: this.#options.recorder ?? null,
    }));
  }

  #request(r: EngineRequest): void {
    const [seq, id, method, url, headers, sent, traceId, hops] = r;
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
      this.#reply(seq, platformResponse(503, 'Service Unavailable: this engine does not serve that version.\n'), 0, -1);
      return;
    }
    version.lastUsed = ++this.#tick;
    if (!version.worker.resident) this.#makeRoom(version);
    const pending: PendingRequest = { traceId, ctx: null };
    version.unmatched.push(pending);
    version.inFlight++;
    this.#inFlight++;
    version.coldStartMs = -1;
    const answer = version.worker.fetch({ method, url, headers, body, traceId, hops });
    const coldStartMs = version.coldStartMs;
    if (coldStartMs >= 0) this.#resident.add(version);
    void answer.then((response) => {
      version.inFlight--;
      this.#inFlight--;
      if (pending.ctx === null) version.forget(pending);
      this.#reply(seq, response, pending.ctx?.cpuMs ?? 0, coldStartMs);
    });
  }

  #reply(seq: number, response: OutgoingResponse, cpuMs: number, coldStartMs: number): void {
    const body = response.body;
    // A request body lives as long as its response: a streamed response may still be reading it.
    const endUpload = () => this.#uploads.get(seq)?.cancel();
    if (!isByteSource(body)) {
      endUpload();
      this.#send({ t: 'res', r: [seq, response.status, response.statusText, response.headers, body, cpuMs, coldStartMs] });
      return;
    }
    this.#send({ t: 'res', r: [seq, response.status, response.statusText, response.headers, true, cpuMs, coldStartMs] });
    this.#downloads.set(seq, new BodyPump(seq, body, this.#send, () => { this.#downloads.delete(seq); endUpload(); }));
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
    while (this.#busy() && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    this.close();
    // The 503s of isolates disposed just now are sent from promise callbacks.
    await new Promise((resolve) => setImmediate(resolve));
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
    this.#pool.close();
    void this.#outbound.close();
    // KV writes already started finish first; the store closes after them.
    setImmediate(() => this.#store.close());
  }
}

/** A request sent into a worker, until the call that dispatched it is known (for its CPU time). */
export interface PendingRequest {
  traceId: string;
  ctx: RequestContext | null;
}
