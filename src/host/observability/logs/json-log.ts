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


export class JsonLog implements LogSink, PlatformObserver {
  readonly #logger: Logger;
  readonly #destination: DestinationStream;
  #lastWorker = '';
  #lastVersion = -1;
  #workerText = '';
  #lastHost = '';
  #hostText = '""';

  /** `destination`: anything with write(line); lines end in "\n". By default stdout, in batches. */
  constructor(destination: DestinationStream = new BatchedLines(1)) {
    this.#destination = destination;
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
   */
  request(outcome: RequestOutcome): void {
    if (outcome.event !== undefined) { this.#event(outcome, outcome.event); return; }
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
    this.#destination.write(`{"level":"${failure === null ? 'info' : 'error'}","type":"request","time":"${isoTime()}",`
      + `${this.#workerText}"method":${jsonString(outcome.method)},"host":${this.#hostText},"path":${jsonString(path)},`
      + `"status":${outcome.status},"durationMs":${jsonMs(outcome.durationMs)},"cpuMs":${jsonMs(outcome.cpuMs)},`
      + `"cold":${outcome.coldStartMs >= 0},"traceId":${jsonString(outcome.traceId)},"outcome":"${failure ?? 'ok'}"}\n`);
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
    this.#logger[PINO_LEVEL[level] ?? 'info']({
      time: isoTime(), type: 'console', console: CONSOLE_METHOD[level] ?? 'log', worker, traceId,
    }, message);
  }

  workerError(worker: string, traceId: string | null, message: string): void {
    this.#logger.error({ time: isoTime(), type: 'platform', worker, traceId }, message);
  }

  /** Resolves once the destination has written out what it holds. */
  async flush(): Promise<void> {
    if (this.#destination instanceof BatchedLines) await this.#destination.drain();
  }
}

