// The supervisor's handle on one engine child process: forks it, carries protocol messages over its
// IPC channel, reads from its fd 3 whose code it is running, and when it ends, however it ends,
// answers everything still waiting on it (502) and says who, if anyone, is to blame.
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { LogSink } from '../observability/log-sink.js';
import { EngineClient } from './engine-client.js';
import { MessageBatcher, unbatch } from './message-batch.js';
import type { EngineOptions } from './engine-host.js';
import type { ToEngine } from './engine-protocol.js';
import type { ServiceCallDispatch } from './service-calls.js';
import { RunningRecordReader } from './running-record.js';

export interface EngineExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The engine said 'ready' before it ended. */
  wasReady: boolean;
  /** It ended after being asked to shut down. */
  expected: boolean;
  /** The worker (and version) whose code was running when the engine died of its own accord. */
  blamed: { worker: string; versionId: string } | null;
  /** Why the supervisor killed it, when it did: it stopped answering, or held too much memory. */
  killedFor?: string;
}

/**
 * Deaths that come from outside (an operator's kill -9, the kernel's OOM killer, a service manager)
 * are nobody's code's fault. V8's aborts (SIGABRT, SIGTRAP), native crashes and error exits are.
 */
/** How often the supervisor checks that an engine still answers, and how long it waits at least. */
const PING_EVERY_MS = 1_000;
const HANG_MS = 10_000;
/** How often an engine's resident memory is read: wasm memories can be touched at gigabytes a second. */
const RSS_EVERY_MS = 250;
const EXTERNAL_SIGNALS = new Set<string>(['SIGKILL', 'SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT']);

/** Kept for the error when an engine fails to start. */
const OUTPUT_TAIL_CHARS = 4_000;

/**
 * Running from TypeScript source (tests, development), the engine is forked from its .ts entry under
 * tsx; from the bundled CLI (dist/cli.js), from the bundle beside it (dist/engine.js).
 */
function engineEntry(): { path: string; execArgv: string[] } {
  if (import.meta.url.endsWith('.ts')) {
    return { path: fileURLToPath(new URL('./engine-main.ts', import.meta.url)), execArgv: ['--no-node-snapshot', '--import', 'tsx'] };
  }
  return { path: fileURLToPath(new URL('./engine.js', import.meta.url)), execArgv: ['--no-node-snapshot'] };
}

export class EngineProcess {
  readonly client: EngineClient;
  readonly pid: number;
  /** Resolves on the engine's 'ready'; rejects when it ends before. */
  readonly ready: Promise<void>;
  /** Called once when the process has ended and its output has been read. */
  onExit: (exit: EngineExit) => void = () => {};
  readonly #child: ChildProcess;
  readonly #running = new RunningRecordReader();
  #outputTail = '';
  #wasReady = false;
  #expected = false;
  /** Killed by a watchdog (it stopped answering, or held too much memory): the code running in it is to blame. */
  #killedFor: string | null = null;
  readonly #ended: Promise<void>;

  constructor(options: EngineOptions, log: LogSink, output: (text: string) => void, services?: ServiceCallDispatch) {
    const entry = engineEntry();
    this.#child = fork(entry.path, [JSON.stringify(options)], {
      execArgv: entry.execArgv,
      serialization: 'advanced',
      stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'ipc'],
    });
    this.pid = this.#child.pid ?? 0;
    const batcher = new MessageBatcher<ToEngine>((message) => {
      // Once the child has gone, its 'close' answers whatever this was for.
      if (this.#child.connected) this.#child.send(message);
    });
    this.client = new EngineClient((message) => batcher.send(message), log, services);
    const forward = (chunk: Buffer) => {
      const text = chunk.toString();
      this.#outputTail = (this.#outputTail + text).slice(-OUTPUT_TAIL_CHARS);
      output(text);
    };
    this.#child.stdout?.on('data', forward);
    this.#child.stderr?.on('data', forward);
    const records = this.#child.stdio[3];
    if (records !== null && records !== undefined && 'on' in records) records.on('data', (chunk: Buffer) => this.#running.push(chunk));
    // An IPC write racing the child's death surfaces here; 'close' handles the death itself.
    this.#child.on('error', () => {});
    let readyResolve!: () => void;
    let readyReject!: (err: Error) => void;
    this.ready = new Promise((resolve, reject) => { readyResolve = resolve; readyReject = reject; });
    this.ready.catch(() => {});
    this.#child.on('message', (received: unknown) => unbatch(received, (message) => {
      if (typeof message === 'object' && message !== null && (message as { t?: unknown }).t === 'ready') {
        this.#wasReady = true;
        readyResolve();
        this.#watch(options.hangMs ?? HANG_MS, output);
        if (options.memoryLimitMb !== undefined) this.#watchMemory(options.memoryLimitMb, output);
        return;
      }
      this.client.receive(message);
    }));
    this.#ended = new Promise((resolve) => {
      this.#child.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
        const exit = this.#exit(code, signal);
        this.client.close();
        if (!exit.wasReady) readyReject(new Error(`engine ${this.pid} ended before it was ready (${describeExit(exit)}): ${this.#outputTail.trim()}`));
        this.onExit(exit);
        resolve();
      });
    });
  }

  /**
   * Every engine call into an isolate is bounded by a CPU limit, but host work on the engine's thread
   * is not: a tenant's SQL statement (a recursive CTE that never ends) or a host bug can hold it
   * forever, and every worker on the engine with it. An engine that does not answer a ping within the
   * longest call its versions may legitimately make (a module's start-up: 20 times its CPU limit) or
   * `floorMs`, whichever is longer, is killed, and the code that was running is blamed as for a crash.
   */
  #watch(floorMs: number, output: (text: string) => void): void {
    let sentAt = 0;
    const timer = setInterval(() => {
      if (!this.alive || this.#expected) { clearInterval(timer); return; }
      const now = performance.now();
      if (sentAt === 0) {
        sentAt = now;
        void this.client.ping().then((alive) => { sentAt = 0; if (!alive) clearInterval(timer); });
        return;
      }
      const limit = Math.max(floorMs, this.client.maxCpuMs * 20 + 1_000);
      if (now - sentAt < limit) return;
      clearInterval(timer);
      this.#killedFor = `killed: no answer for ${Math.round(now - sentAt)} ms`;
      output(`islet: engine (pid ${this.pid}) has not answered for ${Math.round(now - sentAt)} ms; killing it\n`);
      this.#child.kill('SIGKILL');
    }, PING_EVERY_MS);
    timer.unref();
  }

  /**
   * Isolate heap limits do not cover memory V8 keeps outside the heap: a tenant can hold many
   * WebAssembly memories (each capped at 128 MiB) and touch them all. Past `limitMb` of resident memory
   * the engine is killed, the code running in it blamed, before the machine runs out and the kernel's
   * OOM killer picks a victim of its own (perhaps the supervisor, or the database next to it).
   */
  #watchMemory(limitMb: number, output: (text: string) => void): void {
    const timer = setInterval(() => {
      if (!this.alive || this.#expected) { clearInterval(timer); return; }
      const rssMb = residentMb(this.pid);
      if (rssMb === null || rssMb <= limitMb) return;
      clearInterval(timer);
      this.#killedFor = `killed: ${rssMb} MB resident, over the ${limitMb} MB engine limit`;
      output(`islet: engine (pid ${this.pid}) holds ${rssMb} MB, over its ${limitMb} MB limit ([pool] engine_memory_mb); killing it\n`);
      this.#child.kill('SIGKILL');
    }, RSS_EVERY_MS);
    timer.unref();
  }

  #exit(code: number | null, signal: NodeJS.Signals | null): EngineExit {
    const ownDeath = this.#killedFor !== null || (signal !== null ? !EXTERNAL_SIGNALS.has(signal) : code !== 0);
    const versionId = this.#running.running;
    const worker = ownDeath && !this.#expected && versionId !== null ? this.client.workerOf(versionId) : null;
    return {
      code, signal, wasReady: this.#wasReady, expected: this.#expected,
      blamed: worker === null || versionId === null ? null : { worker, versionId },
      ...(this.#killedFor !== null ? { killedFor: this.#killedFor } : {}),
    };
  }

  get alive(): boolean { return this.#child.exitCode === null && this.#child.signalCode === null; }

  /** Asks the engine to finish what it has (waitUntil work up to `graceMs`) and exit; kills it if it does not. */
  async shutdown(graceMs: number): Promise<void> {
    this.#expected = true;
    if (!this.alive) return this.#ended;
    this.client.shutdown(graceMs);
    const timer = setTimeout(() => void this.kill(), graceMs + 2_000);
    await this.#ended;
    clearTimeout(timer);
  }

  /** Resolves once the process has ended. */
  kill(): Promise<void> {
    if (this.alive) this.#child.kill('SIGKILL');
    return this.#ended;
  }
}

/** A process's resident memory in MiB, from /proc (Linux); null where it cannot be read. */
function residentMb(pid: number): number | null {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
    return match === null ? null : Math.round(Number(match[1]) / 1024);
  } catch {
    return null;
  }
}

export function describeExit(exit: Pick<EngineExit, 'code' | 'signal' | 'killedFor'>): string {
  if (exit.killedFor !== undefined) return exit.killedFor;
  return exit.signal !== null ? `signal ${exit.signal}` : `exit code ${String(exit.code)}`;
}
