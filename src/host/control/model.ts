// The control plane's records: what a deploy creates and what the router and the engines read. Plain
// data, so the same shapes are stored in SQLite, sent over the admin API and passed to engine processes.
import type { QueuesConfig } from '../workers/queues-config.js';
import type { AnalyticsDatasetConfig, DurableObjectBindingConfig, DurableObjectMigration, KvNamespaceConfig, ServiceBindingConfig, VarValue, WorkerLimits } from '../workers/worker-config.js';

/** Worker and tenant names: what Cloudflare allows for script names, lower-case. */
export const NAME_PATTERN = /^[a-z0-9](?:[a-z0-9_-]{0,62})$/;
/** NAME_PATTERN in words, for errors. */
export const NAME_RULE = '1 to 63 lower-case letters, digits, "-" or "_", starting with a letter or digit';

/** Per-worker limits `islet serve` enforces; the first four are enforced inside engines as in `islet dev`. */
export interface ServeLimits extends WorkerLimits {
  /** Requests running at once in the worker's isolate; more wait in a queue. */
  concurrency: number;
  /** Requests allowed to wait behind `concurrency`; beyond it, 503 with Retry-After. */
  queue: number;
  /** Requests per second accepted for the worker (token bucket, burst of one second); beyond it, 429. 0: no limit. */
  ratePerSecond: number;
}

/** The part of a deploy that is the worker's configuration, as wrangler.toml states it. */
export interface VersionConfig {
  compatibilityDate: string | null;
  vars: Record<string, VarValue>;
  kvNamespaces: KvNamespaceConfig[];
  /** Only the limits the deploy set; the server's defaults fill the rest when the version is loaded. */
  limits: Partial<ServeLimits>;
  /** Service bindings to other workers of the same tenant; absent in versions stored before they existed. */
  services?: ServiceBindingConfig[];
  /** Analytics Engine datasets (scoped to the worker's tenant); absent as `services`. */
  analyticsEngineDatasets?: AnalyticsDatasetConfig[];
  /** Cron Triggers, UTC; absent as `services`. */
  crons?: string[];
  /** Durable Object namespaces of classes the version exports; absent when it has none. */
  durableObjects?: DurableObjectBindingConfig[];
  /** `[[migrations]]` as deployed: recorded, not applied (src/host/bindings/durable-objects/README.md). */
  durableObjectMigrations?: DurableObjectMigration[];
  /** Queue producers and consumers (scoped to the worker's tenant); absent when it has none. */
  queues?: QueuesConfig;
}

/**
 * A deploy's configuration as the admin API receives it: the version's, plus the worker's routes.
 * Routes belong to the worker, not to a version (as on Cloudflare), so a gradual rollout or a
 * rollback never changes which hosts the worker answers on. Absent: the worker keeps its routes.
 */
export interface DeployConfig extends VersionConfig {
  /** Workers route patterns: `example.com/*`, `*.example.com/api/*`, `api.example.com`. */
  routes?: string[];
}

/** An immutable deployed version: code and configuration, never changed after it is created. */
export interface WorkerVersion {
  /** A UUID. */
  id: string;
  worker: string;
  /** Increments per worker from 1, for people ("version 3"). */
  number: number;
  createdAt: string;
  /** The bundled ES module. */
  code: string;
  /** The bundle's source map (JSON text), when the deploy sent one; used to map stack traces. */
  sourceMap: string | null;
  config: VersionConfig;
  /** Free text from the deployer (`--message`). */
  message: string | null;
}

/** How a client sticks to one side of a split: by a request header's value or a cookie's. */
export type StickyBy = { header: string } | { cookie: string } | null;

/** Which versions take a worker's traffic. Percentages are integers summing to 100. */
export interface Deployment {
  worker: string;
  versions: { id: string; percent: number }[];
  sticky: StickyBy;
  createdAt: string;
}

export interface WorkerRecord {
  name: string;
  /** KV namespaces are scoped to the tenant: workers of one tenant may share them, others cannot see them. */
  tenant: string;
  createdAt: string;
  deployment: Deployment | null;
  /** Set when the worker's requests keep killing engines; cleared by a deploy. */
  quarantine: { reason: string; at: string } | null;
}
