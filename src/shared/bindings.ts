// How a worker's bindings reach its `env`. The host sends one descriptor per binding at install time;
// the sandbox builds each from its kind's factory (src/sandbox/bindings/env-bindings.ts). A binding
// inside the isolate is only a capability: its kind and its index among the worker's bindings of that
// kind, which the host resolves to what it granted. Names of stores, tenants and ids stay on the host.

/** The kinds of binding a worker's env can hold; each has a sandbox half and a host half of the same noun. */
export const BindingKind = {
  Kv: 'kv',
  DurableObject: 'durable_object',
  AnalyticsEngine: 'analytics_engine',
  Service: 'service',
  Queue: 'queue',
} as const;
export type BindingKindName = (typeof BindingKind)[keyof typeof BindingKind];

/** Plain JSON only: it crosses the boundary as text. */
export type BindingData = string | number | boolean | null | BindingData[] | { [key: string]: BindingData };

export interface BindingDescriptor {
  kind: BindingKindName;
  /** The property name on `env`. */
  name: string;
  /** Position among the worker's bindings of this kind: the capability the host checks on every call. */
  index: number;
  /** What the sandbox half needs beyond the index (a class name, a dataset), never a secret or a store name. */
  data?: BindingData;
}
