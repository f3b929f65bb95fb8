// Where the host writes what workers say and what goes wrong with them. Core code depends on this
// interface only; the concrete sink (plain text today, structured JSON later) is injected.
import { LogLevel, type LogLevelCode } from '../../shared/boundary.js';

export interface LogSink {
  /** A tenant's console.* line. */
  console(worker: string, traceId: string | null, level: LogLevelCode, message: string): void;
  /** Something the platform reports about a worker: an uncaught exception, a limit, a load failure. */
  workerError(worker: string, traceId: string | null, message: string): void;
}

const LEVEL_NAMES: Record<number, string> = {
  [LogLevel.Debug]: 'debug', [LogLevel.Info]: 'info', [LogLevel.Log]: 'log', [LogLevel.Warn]: 'warn', [LogLevel.Error]: 'error',
};

/** Human-readable lines on stderr, for `islet dev` and `npm start`. */
export class TextLogSink implements LogSink {
  readonly #write: (line: string) => void;
  constructor(write: (line: string) => void = (line) => process.stderr.write(line + '\n')) { this.#write = write; }
  console(worker: string, traceId: string | null, level: LogLevelCode, message: string): void {
    this.#write(`[${worker}]${traceId === null ? '' : ` (${traceId})`} ${LEVEL_NAMES[level] ?? 'log'}: ${message}`);
  }
  workerError(worker: string, traceId: string | null, message: string): void {
    this.#write(`[${worker}]${traceId === null ? '' : ` (${traceId})`} ERROR ${message}`);
  }
}

/** Keeps every line in memory; for tests and for the CLI's quiet modes. */
export class MemoryLogSink implements LogSink {
  readonly lines: { worker: string; traceId: string | null; level: LogLevelCode | 'platform'; message: string }[] = [];
  console(worker: string, traceId: string | null, level: LogLevelCode, message: string): void {
    this.lines.push({ worker, traceId, level, message });
  }
  workerError(worker: string, traceId: string | null, message: string): void {
    this.lines.push({ worker, traceId, level: 'platform', message });
  }
}
