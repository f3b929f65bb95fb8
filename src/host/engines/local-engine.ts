// An engine inside the supervisor's own process (`engines: 0`): the same EngineHost and protocol with
// no IPC in between. Nothing contains a crash here; it is for tests and for the most throughput.
import type { LogSink } from '../observability/log-sink.js';
import { EngineClient } from './engine-client.js';
import { EngineHost, type EngineOptions } from './engine-host.js';
import type { ServiceCallDispatch } from './service-calls.js';

export class LocalEngine {
  readonly client: EngineClient;
  readonly pid = process.pid;
  readonly alive = true;
  readonly #host: EngineHost;

  constructor(options: EngineOptions, log: LogSink, services?: ServiceCallDispatch) {
    const client = new EngineClient((message) => this.#host.handle(message), log, services);
    this.client = client;
    this.#host = new EngineHost({ ...options, send: (message) => client.receive(message) });
  }

  async shutdown(graceMs: number): Promise<void> {
    await this.#host.drain(graceMs);
    this.client.close();
  }
}
