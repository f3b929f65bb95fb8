// `islet serve`'s structured log: one JSON object per line (pino), for log shippers. Each finished
// request is one line (as an observer of the platform), and each line a worker logs or the platform
// reports about it is one line too, with the same worker and trace id, so a request's lines can be
// joined. Injected by the CLI: the platform knows only the LogSink and PlatformObserver interfaces.
import { pino, type DestinationStream, type Logger } from 'pino';
import { BatchedLines } from './batched-lines.js';
import { LogLevel, type LogLevelCode } from '../../../shared/boundary.js';
import type { LogSink } from '../log-sink.js';
import type { PlatformObserver, RequestOutcome } from '../platform-observer.js';
import { isoTime, requestRecord } from './request-record.js';

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
   * a template costs about a third of pino's generic serialisation. The line is the one pino would
   * write (level first, then the record's fields in order); strings that can hold anything are escaped
   * by JSON.stringify.
   */
  request(outcome: RequestOutcome): void {
    const r = requestRecord(outcome);
    this.#destination.write(`{"level":"${outcome.failure === null ? 'info' : 'error'}","type":"request","time":"${r.time}",`
      + `"worker":${JSON.stringify(r.worker)},"version":${r.version},"method":${JSON.stringify(r.method)},`
      + `"host":${JSON.stringify(r.host)},"path":${JSON.stringify(r.path)},"status":${r.status},"durationMs":${r.durationMs},`
      + `"cpuMs":${r.cpuMs},"cold":${r.cold},"traceId":${JSON.stringify(r.traceId)},"outcome":"${r.outcome}"}\n`);
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
