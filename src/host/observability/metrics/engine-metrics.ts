// Engine gauges, read from the supervisor when Prometheus scrapes rather than kept up to date: every
// metric's collect() shares one stats round per scrape, so a scrape asks each engine once.
import { Counter, Gauge, type Registry } from 'prom-client';

/** One engine slot as the supervisor reports it (EngineStatus has this shape). */
export interface EngineSnapshot {
  index: number;
  up: boolean;
  restarts: number;
  inFlight: number;
  resident: number;
  rssBytes: number;
  /** Per resident isolate, when the status carries it; the heap gauges stay empty otherwise. */
  isolates?: readonly { worker: string; heapUsedBytes: number; heapLimitBytes: number }[];
}

export function registerEngineMetrics(registry: Registry, source: () => Promise<readonly EngineSnapshot[]>): void {
  // prom-client starts every metric's collect() in the same turn; they all await this one answer.
  let pending: Promise<readonly EngineSnapshot[]> | null = null;
  const snapshot = (): Promise<readonly EngineSnapshot[]> => {
    pending ??= source().finally(() => { pending = null; });
    return pending;
  };
  const registers = [registry];
  const perEngine = (name: string, help: string, value: (engine: EngineSnapshot) => number) => new Gauge({
    name, help, labelNames: ['engine'], registers,
    async collect() {
      const engines = await snapshot();
      this.reset();
      for (const engine of engines) this.set({ engine: String(engine.index) }, value(engine));
    },
  });
  new Gauge({
    name: 'islet_engines', help: 'Engine slots (processes running isolates; 1 when isolates run in the server process).', registers,
    async collect() { this.set((await snapshot()).length); },
  });
  perEngine('islet_engine_up', '1 when the engine answered its stats request, 0 while it is down or being replaced.', (e) => (e.up ? 1 : 0));
  perEngine('islet_engine_resident_isolates', 'Isolates resident in the engine.', (e) => e.resident);
  perEngine('islet_engine_in_flight_requests', 'Requests the engine is running.', (e) => e.inFlight);
  perEngine('islet_engine_rss_bytes', 'Resident set size of the engine process.', (e) => e.rssBytes);
  new Counter({
    name: 'islet_engine_restarts_total', help: 'Times the engine in this slot died and was replaced.', labelNames: ['engine'], registers,
    async collect() {
      const engines = await snapshot();
      this.reset();
      for (const engine of engines) this.inc({ engine: String(engine.index) }, engine.restarts);
    },
  });
  const perWorkerHeap = (name: string, help: string, value: (isolate: NonNullable<EngineSnapshot['isolates']>[number]) => number) => new Gauge({
    name, help, labelNames: ['engine', 'worker'], registers,
    async collect() {
      const engines = await snapshot();
      this.reset();
      for (const engine of engines) {
        // A worker in a gradual rollout has two versions, so two isolates: their heaps add up.
        for (const isolate of engine.isolates ?? []) this.inc({ engine: String(engine.index), worker: isolate.worker }, value(isolate));
      }
    },
  });
  perWorkerHeap('islet_isolate_heap_used_bytes', 'V8 heap used by the worker\'s resident isolates in the engine.', (i) => i.heapUsedBytes);
  perWorkerHeap('islet_isolate_heap_limit_bytes', 'V8 heap limit of the worker\'s resident isolates in the engine.', (i) => i.heapLimitBytes);
}
