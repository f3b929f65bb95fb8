// `islet serve`'s structured log: one JSON object per line (pino), for log shippers. Each finished
// request is one line (as an observer of the platform), and each line a worker logs or the platform
// reports about it is one line too, with the same worker and trace id, so a request's lines can be
// joined. Injected by the CLI: the platform knows only the LogSink and PlatformObserver interfaces.
import { pino, type DestinationStream, type Logger } from 'pino';
import { BatchedLines } from './batched-lines.js';
import { LogLevel, type LogLevelCode } from '../../../shared/boundary.js';
import type { LogSink } from '../log-sink.js';
import type { PlatformObserver, RequestOutcome, WorkerEvent } from '../platform-observer.js';
import { hostAndPath, isoTime, roundMs } from './request-record.js';
import { jsonMs, jsonString } from './json-text.js';

type PinoLevel = 'debug' | 'info' | 'warn' | 'error';

/** console.log and console.info are both pino's info; the tenant's own method is kept in `console`. */
const PINO_LEVEL: Record<number, PinoLevel> = {
  [LogLevel.Debug]: 'debug', [LogLevel.Info]: 'info', [LogLevel.Log]: 'info', [LogLevel.Warn]: 'warn', [LogLevel.Error]: 'error',
};
export const CONSOLE_METHOD: Record<number, string> = {
  [LogLevel.Debug]: 'debug', [LogLevel.Info]: 'info', [LogLevel.Log]: 'log', [LogLevel.Warn]: 'warn', [LogLevel.Error]: 'error',
};


/** Requests noted before their lines are made regardless of the batch: bounds what a stalled writer holds. */
const MAX_NOTED = 1024;

export class JsonLog implements LogSink, PlatformObserver {
  readonly #logger: Logger;
  readonly #destination: DestinationStream;
  /** The destination when it writes in batches: request lines are then made as a batch goes. */
  readonly #batched: BatchedLines | null;
  /** Requests whose lines are still to be made, and when each was answered. */
  #noted: RequestOutcome[] = [];
  #notedAt: number[] = [];
  #lastWorker = '';
  #lastVersion = -1;
  #workerText = '';
  #lastHost = '';
  #hostText = '""';

  /** `destination`: anything with write(line); lines end in "\n". By default stdout, in batches. */
  constructor(destination: DestinationStream = new BatchedLines(1)) {
    this.#destination = destination;
    this.#batched = destination instanceof BatchedLines ? destination : null;
    this.#batched?.beforeFlush(() => this.#writeNoted());
    this.#logger = pino({
      // Level names, not pino's numbers, and no pid or hostname: a log shipper adds where a line came from.
      formatters: { level: (label) => ({ level: label }) },
      base: null,
      // Every line carries its own `time` (a request's is when its response was ready).
      timestamp: false,
      level: 'debug',
    }, destination);
  }

  /**
   * The one line every request pays for is written here rather than by pino: its fields are fixed, so
   * a template costs a fraction of pino's generic serialisation. The line is the one pino would write
   * for requestRecord(outcome) (level first, then the record's fields in order); a test holds them equal.
   * Into batched lines, the request is only noted here and its line made when the batch is about to
   * be written, with the others noted meanwhile. Made one after another, lines cost about half of
   * what they cost made between requests, where the request path has pushed the formatting code and
   * data out of the caches (0.7 against 1.6 µs of CPU in a loaded server). A line of any other kind
   * first writes the noted ones, so lines keep their order.
   */
  request(outcome: RequestOutcome): void {
    if (outcome.event !== undefined) { this.#writeNoted(); this.#event(outcome, outcome.event); return; }
    if (this.#batched === null) { this.#destination.write(this.#requestLine(outcome, Date.now())); return; }
    this.#noted.push(outcome);
    this.#notedAt.push(Date.now());
    if (this.#noted.length === 1) this.#batched.wake();
    else if (this.#noted.length >= MAX_NOTED) this.#writeNoted();
  }

  #writeNoted(): void {
    const noted = this.#noted;
    if (noted.length === 0) return;
    const at = this.#notedAt;
    this.#noted = [];
    this.#notedAt = [];
    for (let i = 0; i < noted.length; i++) this.#destination.write(this.#requestLine(noted[i]!, at[i]!));
  }

  #requestLine(outcome: RequestOutcome, ms: number): string {
    const { host, path } = hostAndPath(outcome.url);
    // A busy server logs the same worker, version and host line after line: their text is reused.
    if (outcome.worker !== this.#lastWorker || outcome.version !== this.#lastVersion) {
      this.#lastWorker = outcome.worker;
      this.#lastVersion = outcome.version;
      this.#workerText = `"worker":${jsonString(outcome.worker)},"version":${outcome.version},`;
    }
    if (host !== this.#lastHost) {
      this.#lastHost = host;
      this.#hostText = jsonString(host);
    }
    const failure = outcome.failure;
    return `{"level":"${failure === null ? 'info' : 'error'}","type":"request","time":"${isoTime(ms)}",`
      + `${this.#workerText}"method":${jsonString(outcome.method)},"host":${this.#hostText},"path":${jsonString(path)},`
      + `"status":${outcome.status},"durationMs":${jsonMs(outcome.durationMs)},"cpuMs":${jsonMs(outcome.cpuMs)},`
      + `"cold":${outcome.coldStartMs >= 0},"traceId":${jsonString(outcome.traceId)},"outcome":"${failure ?? 'ok'}"}\n`;
  }

  /** A cron run or a queue batch: rare, so pino writes it; it names its trigger instead of a URL. */
  #event(outcome: RequestOutcome, event: WorkerEvent): void {
    const trigger = event.kind === 'scheduled' ? { cron: event.cron, scheduledTime: event.scheduledTime } : { queue: event.queue };
    this.#logger[outcome.failure === null ? 'info' : 'error']({
      type: event.kind, time: isoTime(), worker: outcome.worker, version: outcome.version, ...trigger,
      durationMs: roundMs(outcome.durationMs), cpuMs: roundMs(outcome.cpuMs), cold: outcome.coldStartMs >= 0,
      traceId: outcome.traceId, outcome: outcome.failure ?? 'ok',
    });
  }

  console(worker: string, traceId: string | null, level: LogLevelCode, message: string): void {
    this.#writeNoted();
    this.#logger[PINO_LEVEL[level] ?? 'info']({
      time: isoTime(), type: 'console', console: CONSOLE_METHOD[level] ?? 'log', worker, traceId,
    }, message);
  }

  workerError(worker: string, traceId: string | null, message: string): void {
    this.#writeNoted();
    this.#logger.error({ time: isoTime(), type: 'platform', worker, traceId }, message);
  }

  /** Resolves once the destination has written out what it holds. */
  async flush(): Promise<void> {
    this.#writeNoted();
    if (this.#batched !== null) await this.#batched.drain();
  }
}

