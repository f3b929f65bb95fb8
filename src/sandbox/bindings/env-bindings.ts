// Builds the objects a worker's env holds from the descriptors the host sends (src/shared/bindings.ts).
// One factory per kind; a kind without one is a host/runtime mismatch, reported as a load error.
import type { BindingData, BindingDescriptor } from '../../shared/bindings.js';
import { BindingKind } from '../../shared/bindings.js';
import { AnalyticsEngineDataset } from './analytics/analytics-engine-dataset.js';
import { KVNamespace } from './kv/kv-namespace.js';
import { durableObjectNamespace } from './durable-objects/binding.js';
import { serviceBinding } from './service/fetcher.js';
import { Queue } from './queues/queue.js';

/** `exports`: the worker module's namespace, for bindings that name one of its classes. */
export type BindingFactory = (index: number, data: BindingData | undefined, exports: Record<string, unknown>) => unknown;

const FACTORIES: Partial<Record<string, BindingFactory>> = {
  [BindingKind.Kv]: (index) => new KVNamespace(index),
  [BindingKind.DurableObject]: durableObjectNamespace,
  [BindingKind.Service]: (index) => serviceBinding(index),
  [BindingKind.Queue]: (index) => new Queue(index),
  [BindingKind.AnalyticsEngine]: (index) => new AnalyticsEngineDataset(index),
};

/** Adds each binding to `env`; returns a message for the first it cannot build, or null. */
export function buildBindings(env: Record<string, unknown>, descriptors: readonly BindingDescriptor[], exports: Record<string, unknown>): string | null {
  // By index: for-of would call Array.prototype[Symbol.iterator], which the tenant's module may have replaced.
  for (let i = 0; i < descriptors.length; i++) {
    const descriptor = descriptors[i]!;
    const factory = FACTORIES[descriptor.kind];
    if (factory === undefined) return `The runtime has no binding of kind "${descriptor.kind}" (env.${descriptor.name}).`;
    env[descriptor.name] = factory(descriptor.index, descriptor.data, exports);
  }
  return null;
}
