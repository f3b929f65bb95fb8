import type { QueuesConfig } from './queues-config.js';

export interface KvNamespaceConfig {
  binding: string;
  id: string;
}

/** `[[analytics_engine_datasets]]`: env[binding] writes data points to `dataset` (default: the binding's name). */
export interface AnalyticsDatasetConfig {
  binding: string;
  dataset: string;
}

/** `[[services]]`: env[binding] calls the worker named `service` (its `entrypoint` export, when set). */
export interface ServiceBindingConfig {
  binding: string;
  service: string;
  entrypoint?: string;
}

/** `[[durable_objects.bindings]]`: env[binding] is the namespace of class `className`, exported by this worker. */
export interface DurableObjectBindingConfig {
  binding: string;
  className: string;
}

/** `[[migrations]]`: recorded as given; classes need no migration to run here (see src/host/bindings/durable-objects). */
export interface DurableObjectMigration {
  tag: string;
  newClasses: string[];
  newSqliteClasses: string[];
  renamedClasses: { from: string; to: string }[];
  deletedClasses: string[];
}

export interface WorkerLimits {
  cpuMs: number;
  wallMs: number;
  memoryMb: number;
  subrequests: number;
}

// Wrangler allows JSON values in [vars]; .dev.vars and --var values are always strings.
export type VarValue = string | number | boolean | object;

export interface WorkerConfig {
  name: string;
  /** Absolute path of the entry module. */
  main: string;
  compatibilityDate: string | null;
  vars: Record<string, VarValue>;
  kvNamespaces: KvNamespaceConfig[];
  /** Durable Object namespaces; optional so configs built in code need not state them. */
  durableObjects?: DurableObjectBindingConfig[];
  durableObjectMigrations?: DurableObjectMigration[];
  limits: WorkerLimits;
  /** Analytics Engine datasets; optional so configs built in code need not state them. */
  analyticsEngineDatasets?: AnalyticsDatasetConfig[];
  /** Service bindings; optional so configs built in code need not state them. */
  services?: ServiceBindingConfig[];
  /** Queue producers and consumers (queues-config.ts); optional as `services`. */
  queues?: QueuesConfig;
  /** Cron Triggers (`[triggers] crons`), checked and trimmed; optional as `services`. */
  crons?: string[];
  /**
   * Workers route patterns (`example.com/*`, `*.example.com/api/*`) from `route` / `routes`, for
   * `islet deploy`; `islet dev` serves every path and ignores them. Optional so configs built in code
   * need not state it; readWorkerConfig always sets it.
   */
  routes?: string[];
  /** Absolute path of the wrangler file, or null when running an entry without one. */
  configPath: string | null;
  /** Directory relative paths in the config resolve against; node_modules are looked up from here. */
  rootDir: string;
}

export const DEFAULT_LIMITS: WorkerLimits = { cpuMs: 50, wallMs: 30_000, memoryMb: 128, subrequests: 50 };
