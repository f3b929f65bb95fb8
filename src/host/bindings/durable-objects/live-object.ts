// One Durable Object as the host holds it while it is in memory: its storage, the events waiting for
// it, the isolate its instance lives in, and its two gates (see README.md in this folder).
//
// Input gate: events are delivered in arrival order, each as an isolate call of its own. Storage calls
// are answered in the same crossing, so no event can arrive while one is in flight; only awaits of
// other I/O let events interleave. blockConcurrencyWhile() and transaction() close the gate
// explicitly: nothing is delivered until they end.
// Output gate: what an event sends out (its response, its RPC result) is held until every write made
// before it is durable. Writes made in one turn are committed together right after it; the fsync runs
// off the thread, and writes made while it does are committed together once it is over (group commit).
import { ObjectEventKind } from '../../../shared/boundary.js';
import type { RequestContext } from '../../isolates/request-context.js';
import { platformResponse, type OutgoingResponse } from '../../isolates/request-types.js';
import type { WorkerInstance } from '../../isolates/worker-instance.js';
import type { LogSink } from '../../observability/log-sink.js';
import type { AlarmIndex } from '../../storage/durable-objects/alarm-index.js';
import type { ObjectAddress, ObjectStorage, ObjectStorageProvider } from '../../storage/durable-objects/object-storage.js';
import { CloseCode } from '../../isolates/sockets/socket-types.js';
import { ObjectSocketTable, type HeldOutput, type ObjectSocket, type SocketOwner } from './object-sockets.js';
import { OBJECT_CPU_LIMIT, cpuLimitFailure } from './object-errors.js';

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
  /** How long an object active when a new version arrives keeps running its code (Cloudflare's max_delay). */
  codeUpdateMaxDelayMs: number;
}

interface Outgoing { send: () => void; fail: (message: string) => void }

/** The alarm as a commit left it, for the alarm index once that commit is durable. */
interface AlarmMirror { time: number | null; retries: number; seq: number }

/** Outputs waiting for the commit the disk is syncing. */
interface SyncBatch { outputs: Outgoing[]; alarm: AlarmMirror | null }

const RESET = 'The Durable Object was reset before its writes were confirmed.';
/** Cloudflare's error for an event cut off by a code update. */
export const CODE_UPDATE_RESET = 'Durable Object reset because its code was updated.';

/** Deliveries made without an event-loop turn in between, over all objects (see #schedulePump). */
const MICROTASK_PUMPS = 64;
let pumpsThisTurn = 0;

export class LiveObject implements SocketOwner {
  readonly address: ObjectAddress;
  readonly handle: number;
  name: string | null;
  lastActive = performance.now();
  readonly #home: ObjectHome;
  /** Its hibernatable WebSockets: they outlive the instance, so the directory keeps this record while there are any. */
  readonly sockets: ObjectSocketTable = new ObjectSocketTable(this);
  #storage: ObjectStorage | null = null;
  #instance: WorkerInstance | null = null;
  readonly #queue: PendingEvent[] = [];
  #running = 0;
  /** Closed gates, by the event context that closed them. */
  readonly #gates = new Map<RequestContext, number>();
  readonly #outbox: Outgoing[] = [];
  #pumpScheduled = false;
  #flushScheduled = false;
  #syncing: SyncBatch | null = null;
  #alarmChanged = false;
  /** The retry count the alarm index gets with the next alarm time written. */
  #alarmRetries = 0;
  /** Alarm states taken from commits, and the newest the index has: a sync that ends late must not undo a newer one. */
  #alarmsTaken = 0;
  #alarmMirrored = 0;
  /** Counts resets of the instance while its isolate lived on: events begun before the last one can no longer answer. */
  #generation = 0;
  #resetReason = '';
  /** Events of an instance reset meanwhile, still running: no new event is delivered before they end. */
  #stale = 0;
  /** Running events, with the isolate each runs in, so a reset for a code update can end them. */
  readonly #runningIn = new Map<RequestContext, WorkerInstance>();
  /** The instance that runs on after a new version arrived, and when it must give way (max_delay). */
  #update: { instance: WorkerInstance; timer: NodeJS.Timeout } | null = null;

  constructor(address: ObjectAddress, handle: number, name: string | null, home: ObjectHome) {
    this.address = address;
    this.handle = handle;
    this.name = name;
    this.#home = home;
  }

  get idle(): boolean {
    return this.#running === 0 && this.#queue.length === 0 && this.#outbox.length === 0 && this.#gates.size === 0
      && !this.#flushScheduled && !this.#pumpScheduled && this.#syncing === null && (this.#storage?.transactionDepth ?? 0) === 0;
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

  /** A hibernatable socket's message or close: an event like any other, in arrival order behind the rest. */
  socketEvent(socket: ObjectSocket, kind: 'message' | 'close', args: unknown[], done: () => void): void {
    this.enqueue({
      kind: kind === 'message' ? ObjectEventKind.SocketMessage : ObjectEventKind.SocketClose,
      args, traceId: socket.traceId, hops: 0,
      done: (outcome) => {
        // Platform failures (a limit) are logged where they happen; a constructor that threw is logged here.
        if (outcome.kind === 'result' && !outcome.ok) {
          const [name, message] = Array.isArray(outcome.value) ? outcome.value as unknown[] : ['Error', String(outcome.value)];
          this.#home.log.workerError(this.#home.worker, socket.traceId, `Durable Object ${this.address.className} could not handle a WebSocket ${kind}: ${String(name)}: ${String(message)}`);
        }
        done();
      },
    });
  }

  /**
   * Output that is not an event's result (a hibernatable socket's message or close): it leaves at once
   * only when no write is waiting to be durable and nothing is held before it.
   */
  release(out: HeldOutput): void {
    if (this.#outbox.length === 0 && this.#syncing === null && !(this.#storage?.dirty ?? false)) { out.send(); return; }
    this.#outbox.push(out);
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
    const pump = () => { this.#pumpScheduled = false; this.#pump(); };
    // Never from inside an isolate call: delivering is a call of its own. Node runs microtasks only once
    // the stack is empty, so after the call (and the rest of this turn's deliveries) have returned. But a
    // caller awaiting stub calls in a loop would chain microtasks for good, and timers (wall-clock
    // limits among them) and I/O would wait: past MICROTASK_PUMPS in one turn, the pump waits for the next.
    if (pumpsThisTurn === 0) setImmediate(() => { pumpsThisTurn = 0; });
    if (++pumpsThisTurn <= MICROTASK_PUMPS) queueMicrotask(pump);
    else setImmediate(pump);
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    // After the isolate call that wrote, as for the pump; events delivered back to back share it.
    queueMicrotask(() => { this.#flushScheduled = false; this.#flush(); });
  }

  #pump(): void {
    while (this.#queue.length > 0 && this.#gates.size === 0 && this.#stale === 0) {
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
      if (current !== null && current !== target && !current.dead && this.#running > 0) {
        // A new version while the object is active: as Cloudflare's deferred code update, the running
        // instance serves this event too, and the object moves once it is idle or max_delay has passed.
        if (this.#home.codeUpdateMaxDelayMs > 0) {
          this.#deferUpdate(current);
          this.#deliver(current, this.#queue.shift()!);
          continue;
        }
        this.#adoptUpdate(current);
      }
      if (current !== null && (current !== target || current.dead)) this.#leave();
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
    const generation = this.#generation;
    let answered = false;
    const answer = (outcome: EventOutcome) => {
      if (answered) return;
      answered = true;
      // Reset since it began: what it says could rest on writes that are gone.
      if (generation === this.#generation) this.#send(event, outcome);
      else event.done({ kind: 'result', ok: false, value: this.#resetReason === OBJECT_CPU_LIMIT ? cpuLimitFailure() : ['Error', this.#resetReason] });
    };
    let ended = false;
    const end = (ctx: RequestContext | null) => {
      if (ended) return;
      ended = true;
      this.#running--;
      if (ctx !== null) this.#runningIn.delete(ctx);
      if (generation !== this.#generation && this.#stale > 0) this.#stale--;
      this.lastActive = performance.now();
      // An event that ends holding a gate (its isolate call was cut off) must not shut the object for good.
      if (ctx !== null && this.#gates.delete(ctx)) {
        const storage = this.#storage;
        while (storage !== null && storage.transactionDepth > 0) storage.rollbackTransaction();
        this.#scheduleFlush();
      }
      if (ctx !== null) this.sockets.dropAccepted(ctx);
      if (this.#queue.length > 0) this.#schedulePump();
    };
    const ctx = target.dispatchObject(
      { kind: event.kind, className: this.address.className, id: this.address.id, name: this.name, handle: this.handle, args: event.args, traceId: event.traceId, hops: event.hops },
      (response) => answer({ kind: 'response', response }),
      (ok, value) => answer({ kind: 'result', ok, value }),
      (context) => {
        this.#home.contexts.set(context, this);
        this.#runningIn.set(context, target);
        context.onEnd = () => end(context);
        context.onCpuLimit = () => this.resetInstance(OBJECT_CPU_LIMIT);
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
    if (storage.transactionDepth > 0 || (this.#instance?.dead ?? false)) { this.#scheduleFlush(); return; }
    try {
      storage.flush();
    } catch (err) {
      this.#storageFailed(err);
      return;
    }
    this.#mirrorAlarm(this.#takeAlarm(storage));
  }

  #send(event: PendingEvent, outcome: EventOutcome): void {
    // A socket event's end carries nothing out: what its handler sent is held on its own (release()).
    if (event.kind === ObjectEventKind.SocketMessage || event.kind === ObjectEventKind.SocketClose) { event.done(outcome); return; }
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
    // Group commit: what comes meanwhile goes with the next commit, made once this one is on disk.
    if (this.#syncing !== null) return;
    let alarm: AlarmMirror | null = null;
    if (storage !== null) {
      try {
        storage.commit();
      } catch (err) {
        this.#storageFailed(err);
        return;
      }
      if (this.#alarmChanged) alarm = this.#takeAlarm(storage);
    }
    const outputs = this.#outbox.splice(0);
    if (storage === null || !storage.unsynced) {
      if (alarm !== null) this.#mirrorAlarm(alarm);
      for (const out of outputs) out.send();
      return;
    }
    const batch: SyncBatch = { outputs, alarm };
    this.#syncing = batch;
    storage.sync().then(() => {
      this.#syncing = null;
      if (batch.alarm !== null) this.#mirrorAlarm(batch.alarm);
      for (const out of batch.outputs) out.send();
      if (this.#storage === storage && (this.#outbox.length > 0 || storage.dirty || this.#alarmChanged)) this.#flush();
    }, (err: unknown) => {
      this.#syncing = null;
      for (const out of batch.outputs) out.fail(RESET);
      this.#storageFailed(err);
    });
  }

  /** A commit or its sync failed (disk full, I/O error): the object starts over from what is on disk. */
  #storageFailed(err: unknown): void {
    this.#home.log.workerError(this.#home.worker, null, `Durable Object storage write failed: ${err instanceof Error ? err.message : String(err)}`);
    this.#reset();
    this.#failOutbox(RESET);
  }

  /** The alarm as just committed: the index gets it once the commit is durable, not a later, uncommitted one. */
  #takeAlarm(storage: ObjectStorage): AlarmMirror {
    this.#alarmChanged = false;
    const alarm = { time: storage.getAlarm(), retries: this.#alarmRetries, seq: ++this.#alarmsTaken };
    this.#alarmRetries = 0;
    return alarm;
  }

  #mirrorAlarm(alarm: AlarmMirror): void {
    const index = this.#home.alarms;
    if (index === null || alarm.seq <= this.#alarmMirrored) return;
    this.#alarmMirrored = alarm.seq;
    try {
      if (alarm.time === null) index.remove(this.address);
      else index.set({ ...this.address, time: alarm.time, retries: alarm.retries });
    } catch (err) {
      this.#home.log.workerError(this.#home.worker, null, `The alarm index could not be updated: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  #failOutbox(message: string): void {
    for (const out of this.#outbox.splice(0)) out.fail(message);
  }

  /**
   * The instance must go while its isolate stays (an event past its CPU limit, a write SQLite answered by
   * dropping every uncommitted one): its uncommitted writes go, held outputs and those of events still
   * running in it fail with `reason`, and those events lose their storage. The next event waits for them
   * to end, then builds the object anew.
   */
  resetInstance(reason: string): void {
    this.#generation++;
    this.#resetReason = reason;
    this.#stale = this.#running;
    this.#reset();
    this.#failOutbox(reason);
    // Those events are ended too, once the isolate call that reset the object has returned: one that
    // accepted a WebSocket with accept() runs as long as its client stays, and would hold every later
    // event back until then. Their sockets close with 1011, as Cloudflare disconnects a reset object's.
    const stale = [...this.#runningIn];
    setImmediate(() => {
      for (const [ctx, runsIn] of stale) {
        if (this.#runningIn.get(ctx) === runsIn) runsIn.endObjectEvent(ctx, CloseCode.InternalError, reason);
      }
    });
  }

  /**
   * A new version of the worker was deployed: an object active now gets max_delay from now to go idle
   * (an idle one moves with its next event).
   */
  codeUpdated(): void {
    if (this.#instance !== null && this.#running > 0) this.#deferUpdate(this.#instance);
  }

  #deferUpdate(instance: WorkerInstance): void {
    if (this.#update?.instance === instance) return;
    if (this.#update !== null) clearTimeout(this.#update.timer);
    const timer = setTimeout(() => this.#adoptUpdate(instance), this.#home.codeUpdateMaxDelayMs);
    timer.unref();
    this.#update = { instance, timer };
  }

  /**
   * max_delay is over and the object still runs `instance`: it is reset, as on Cloudflare. Its events
   * still running there end, and every WebSocket it holds (hibernatable ones too) closes with 1012, so
   * clients reconnect to the new code. They run in another isolate, so the next event need not wait for them.
   */
  #adoptUpdate(instance: WorkerInstance): void {
    this.#update = null;
    if (this.#instance !== instance || instance.dead) return;
    let target: WorkerInstance;
    try {
      target = this.#home.target();
    } catch {
      // Nothing to move to yet: the next event reports the failure to start.
      return;
    }
    if (target === instance) return;
    this.#generation++;
    this.#resetReason = CODE_UPDATE_RESET;
    this.#stale = 0;
    this.#reset();
    // The sockets first, so their held messages fail quietly and the clients hear 1012, not 1011.
    this.sockets.shutAll(CloseCode.ServiceRestart, CODE_UPDATE_RESET);
    this.#failOutbox(CODE_UPDATE_RESET);
    for (const [ctx, runsIn] of [...this.#runningIn]) {
      if (runsIn === instance) runsIn.endObjectEvent(ctx, CloseCode.ServiceRestart, CODE_UPDATE_RESET);
    }
    if (this.#queue.length > 0) this.#schedulePump();
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
    if (this.#update !== null && this.#update.instance === instance) { clearTimeout(this.#update.timer); this.#update = null; }
    if (instance !== null && !instance.dead) instance.dropObject(this.handle);
  }

  /** Drops the object from memory when nothing is happening in it; its storage stays on disk. */
  evict(): boolean {
    if (!this.idle) return false;
    const storage = this.#storage;
    if (storage !== null && storage.dirty) {
      try { storage.flush(); } catch { /* close() below rolls back what did not commit */ }
    }
    this.#leave();
    storage?.close();
    this.#storage = null;
    return true;
  }

  /** The server is stopping: what is written is kept, what is not durable yet is dropped. */
  close(): void {
    if (this.#storage !== null && this.#storage.transactionDepth === 0 && !(this.#instance?.dead ?? false)) {
      try {
        this.#storage.flush();
        // The commit still syncing is on disk now: the index must not wait for a sync that may end after it closes.
        const batch = this.#syncing;
        if (batch !== null && batch.alarm !== null) { this.#mirrorAlarm(batch.alarm); batch.alarm = null; }
      } catch { /* the close below rolls back */ }
    }
    // The sockets first: their held messages then fail quietly, and the clients hear 1001.
    this.sockets.shutAll(CloseCode.GoingAway, 'The server is shutting down.');
    this.#failOutbox('The server is shutting down.');
    this.#storage?.close();
    this.#storage = null;
    this.#instance = null;
    if (this.#update !== null) { clearTimeout(this.#update.timer); this.#update = null; }
  }
}
