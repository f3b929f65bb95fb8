// What `islet dev` says a worker's env holds at start, one line per binding, as wrangler dev does.
// Variables are named without their values: `.dev.vars` holds secrets and is merged into them.
import type { WorkerConfig } from '../host/workers/worker-config.js';

export function bindingLines(config: WorkerConfig): string[] {
  return [
    ...config.kvNamespaces.map((ns) => `env.${ns.binding} (KV namespace ${ns.id})`),
    ...(config.durableObjects ?? []).map((d) => `env.${d.binding} (Durable Object class ${d.className})`),
    ...(config.analyticsEngineDatasets ?? []).map((a) => `env.${a.binding} (Analytics Engine dataset ${a.dataset})`),
    ...(config.services ?? []).map((s) => `env.${s.binding} (service ${s.service}${s.entrypoint === undefined ? '' : `, entrypoint ${s.entrypoint}`})`),
    ...(config.queues?.producers ?? []).map((q) => `env.${q.binding} (queue ${q.queue})`),
    ...Object.keys(config.vars).map((name) => `env.${name} (variable)`),
  ];
}
