// One Durable Object as the host holds it while it is in memory: its storage, the events waiting for
// it, the isolate its instance lives in, and its two gates (see README.md in this folder).
//
// Input gate: events are delivered in arrival order, each as an isolate call of its own. Storage calls
// are answered in the same crossing, so no event can arrive while one is in flight; only awaits of
// other I/O let events interleave. blockConcurrencyWhile() and transaction() close the gate
// explicitly: nothing is delivered until they end.
// Output gate: what an event sends out (its response, its RPC result) is held until every write made
// so far is durable. Writes made in one turn are committed together, in one fsync, just before.
import { ObjectEventKind } from '../../../shared/boundary.js';
import type { RequestContext } from '../../isolates/request-context.js';
import { platformResponse, type OutgoingResponse } from '../../isolates/request-types.js';
import type { WorkerInstance } from '../../isolates/worker-instance.js';
import type { LogSink } from '../../observability/log-sink.js';
import type { AlarmIndex } from '../../storage/durable-objects/alarm-index.js';
import type { ObjectAddress, ObjectStorage, ObjectStorageProvider } from '../../storage/durable-objects/object-storage.js';

/** What became of an event: a fetch's response (or any event's failure), or an RPC call's or alarm's result. */
export type EventOutcome =
  | { kind: 'response'; response: OutgoingResponse }
  | { kind: 'result'; ok: boolean; value: unknown };

export interface PendingEvent {
  kind: number;
  args: unknown[];
  traceId: string;
  hops: number;
  done: (outcome: EventOutcome) => void;
}

/** What a LiveObject needs of its directory. */
export interface ObjectHome {
  /** The isolate new events go to (the worker's current version); throws when it cannot start. */
  target(): WorkerInstance;
  storage: ObjectStorageProvider;
  alarms: AlarmIndex | null;
  log: LogSink;
  worker: string;
  /** Contexts of object events, so the object's storage calls can be checked against them. */
  contexts: WeakMap<RequestContext, LiveObject>;
}

interface Outgoing { send: () => void; fail: (message: string) => void }

const RESET = 'The Durable Object was reset before its writes were confirmed.';

export class LiveObject {
  readonly address: ObjectAddress;
  readonly handle: number;
  name: string | null;
  lastActive = performance.now();
  readonly #home: ObjectHome;
  #storage: ObjectStorage | null = null;
  #instance: WorkerInstance | null = null;
  readonly #queue: PendingEvent[] = [];
  #running = 0;
  /** Closed gates, by the event context that closed them. */
  readonly #gates = new Map<RequestContext, number>();
  readonly #outbox: Outgoing[] = [];
  #pumpScheduled = false;
  #flushScheduled = false;
  #alarmChanged = false;
  /** The retry count the alarm index gets with the next alarm time written. */
  #alarmRetries = 0;

  constructor(address: ObjectAddress, handle: number, name: string | null, home: ObjectHome) {
    this.address = address;
    this.handle = handle;
    this.name = name;
    this.#home = home;
  }

  get idle(): boolean {
    return this.#running === 0 && this.#queue.length === 0 && this.#outbox.length === 0 && this.#gates.size === 0
      && !this.#flushScheduled && !this.#pumpScheduled && (this.#storage?.transactionDepth ?? 0) === 0;
  }

  /** Whether `instance` holds this object's instance: storage calls from anywhere else are refused. */
  livesIn(instance: WorkerInstance): boolean { return this.#instance === instance && !instance.dead; }

  storage(): ObjectStorage {
    this.#storage ??= this.#home.storage.open(this.address);
    return this.#storage;
  }

  enqueue(event: PendingEvent): void {
    this.#queue.push(event);
    this.lastActive = performance.now();
    this.#schedulePump();
  }

  /** blockConcurrencyWhile() and transaction(): `ctx`'s event holds the gate until it opens it again. */
  gate(ctx: RequestContext, close: boolean): void {
    const held = this.#gates.get(ctx) ?? 0;
    if (close) { this.#gates.set(ctx, held + 1); return; }
    if (held <= 1) this.#gates.delete(ctx);
    else this.#gates.set(ctx, held - 1);
    if (this.#gates.size === 0) this.#schedulePump();
  }

  /** A write happened: it becomes durable after the current isolate call. */
  wrote(alarm = false): void {
    if (alarm) { this.#alarmChanged = true; this.#alarmRetries = 0; }
    this.#scheduleFlush();
  }

  /** Resolves once every write made so far is durable (storage.sync()). */
  synced(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#outbox.push({ send: resolve, fail: (message) => reject(new Error(message)) });
      this.#scheduleFlush();
    });
  }

  #schedulePump(): void {
    if (this.#pumpScheduled) return;
    this.#pumpScheduled = true;
    // Never from inside an isolate call: delivering is a call of its own.
    setImmediate(() => { this.#pumpScheduled = false; this.#pump(); });
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    setImmediate(() => { this.#flushScheduled = false; this.#flush(); });
  }

  #pump(): void {
    while (this.#queue.length > 0 && this.#gates.size === 0) {
      let target: WorkerInstance;
      try {
        target = this.#home.target();
      } catch (err) {
        const message = `Worker failed to start: ${err instanceof Error ? err.message : String(err)}`;
        this.#home.log.workerError(this.#home.worker, null, message);
        for (const event of this.#queue.splice(0)) event.done({ kind: 'response', response: platformResponse(500, 'Internal Server Error: the worker failed to start.\n') });
        return;
      }
      const current = this.#instance;
      if (current !== null && current !== target) {
        // A new version: the old instance finishes what it is doing first (the end of its last event pumps again).
        if (!current.dead && this.#running > 0) return;
        this.#leave();
      } else if (current !== null && current.dead) {
        this.#leave();
      }
      this.#instance = target;
      this.#deliver(target, this.#queue.shift()!);
    }
  }

  #deliver(target: WorkerInstance, event: PendingEvent): void {
    if (event.kind === ObjectEventKind.Alarm && !this.#alarmDue()) {
      event.done({ kind: 'result', ok: true, value: 'not-due' });
      return;
    }
    this.#running++;
    let ended = false;
    const end = (ctx: RequestContext | null) => {
      if (ended) return;
      ended = true;
      this.#running--;
      this.lastActive = performance.now();
      // An event that ends holding a gate (its isolate call was cut off) must not shut the object for good.
      if (ctx !== null && this.#gates.delete(ctx)) {
        const storage = this.#storage;
        while (storage !== null && storage.transactionDepth > 0) storage.rollbackTransaction();
        this.#scheduleFlush();
      }
      if (this.#queue.length > 0) this.#schedulePump();
    };
    const ctx = target.dispatchObject(
      { kind: event.kind, className: this.address.className, id: this.address.id, name: this.name, handle: this.handle, args: event.args, traceId: event.traceId, hops: event.hops },
      (response) => this.#send(event, { kind: 'response', response }),
      (ok, value) => this.#send(event, { kind: 'result', ok, value }),
      (context) => {
        this.#home.contexts.set(context, this);
        context.onEnd = () => end(context);
      },
    );
    if (ctx === null) {
      end(null);
      event.done({ kind: 'response', response: platformResponse(503, 'Service Unavailable: the worker is restarting.\n') });
    }
  }

  /** An alarm runs only if it is still set and due; the alarm is cleared as its handler starts, as on Cloudflare. */
  #alarmDue(): boolean {
    const storage = this.storage();
    const time = storage.getAlarm();
    if (time === null || time > Date.now()) {
      // Moved or deleted since the index said so: the index follows the object's own record.
      this.#alarmChanged = true;
      this.#scheduleFlush();
      return false;
    }
    storage.setAlarm(null);
    this.wrote(true);
    return true;
  }

  /** An alarm handler failed: run it again at `time` with `retries`, unless it set another alarm itself. */
  retryAlarm(time: number, retries: number): void {
    const storage = this.storage();
    if (storage.getAlarm() !== null) return;
    storage.setAlarm(time);
    this.#alarmChanged = true;
    this.#alarmRetries = retries;
    // At once when possible: the scheduler must not find the old, due row once this alarm's run is over.
    if (storage.transactionDepth === 0) this.#flush();
    else this.#scheduleFlush();
  }

  #send(event: PendingEvent, outcome: EventOutcome): void {
    this.#outbox.push({
      send: () => event.done(outcome),
      fail: (message) => event.done(event.kind === ObjectEventKind.Fetch
        ? { kind: 'response', response: platformResponse(500, `Internal Server Error: ${message}\n`) }
        : { kind: 'result', ok: false, value: ['Error', message] }),
    });
    this.#scheduleFlush();
  }

  #flush(): void {
    const storage = this.#storage;
    if (this.#instance !== null && this.#instance.dead) {
      // The isolate went (a limit, a crash) before these writes were confirmed: they go with it.
      this.#reset();
      this.#failOutbox(RESET);
      return;
    }
    if (storage !== null && storage.transactionDepth > 0) return;
    if (storage !== null && storage.dirty) {
      try {
        storage.flush();
      } catch (err) {
        this.#home.log.workerError(this.#home.worker, null, `Durable Object storage write failed: ${err instanceof Error ? err.message : String(err)}`);
        this.#reset();
        this.#failOutbox(RESET);
        return;
      }
    }
    if (this.#alarmChanged && storage !== null) this.#mirrorAlarm(storage);
    for (const out of this.#outbox.splice(0)) out.send();
  }

  #mirrorAlarm(storage: ObjectStorage): void {
    this.#alarmChanged = false;
    const index = this.#home.alarms;
    if (index === null) return;
    const time = storage.getAlarm();
    try {
      if (time === null) index.remove(this.address);
      else index.set({ ...this.address, time, retries: this.#alarmRetries });
    } catch (err) {
      this.#home.log.workerError(this.#home.worker, null, `The alarm index could not be updated: ${err instanceof Error ? err.message : String(err)}`);
    }
    this.#alarmRetries = 0;
  }

  #failOutbox(message: string): void {
    for (const out of this.#outbox.splice(0)) out.fail(message);
  }

  /** The instance is gone or must go: unconfirmed writes are dropped, gates open, the next event builds it anew. */
  #reset(): void {
    this.#storage?.discard();
    this.#gates.clear();
    this.#leave();
  }

  /** Forgets the instance in its isolate (when the isolate is still there) so the next event builds a new one. */
  #leave(): void {
    const instance = this.#instance;
    this.#instance = null;
    if (instance !== null && !instance.dead) instance.dropObject(this.handle);
  }

  /** Drops the object from memory when nothing is happening in it; its storage stays on disk. */
  evict(): boolean {
    if (!this.idle) return false;
    const storage = this.#storage;
    if (storage !== null && storage.dirty) this.#flush();
    this.#leave();
    storage?.close();
    this.#storage = null;
    return true;
  }

  /** The server is stopping: what is written is kept, what is not durable yet is dropped. */
  close(): void {
    if (this.#storage !== null && this.#storage.transactionDepth === 0 && !(this.#instance?.dead ?? false)) {
      try { this.#storage.flush(); } catch { /* the close below rolls back */ }
    }
    this.#failOutbox('The server is shutting down.');
    this.#storage?.close();
    this.#storage = null;
    this.#instance = null;
  }
}
