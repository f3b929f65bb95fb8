// Turns a worker's usage into money with the server's price model ([cost] in the config), so an
// operator can bill tenants or spot the expensive ones. One formula serves the metric and the API.
import type { CostPrices } from '../../platform/serve-config.js';

/** What a worker has used since the server started. */
export interface WorkerUsage {
  /** Requests a worker ran for; refusals (quarantine, rate, queue) cost nothing. */
  requests: number;
  cpuMs: number;
  /** The worker's memory limit in GB times each request's wall-clock seconds, summed. */
  gbSeconds: number;
}

export interface CostBreakdown {
  requests: number;
  cpu: number;
  memory: number;
  total: number;
}

export function costOf(usage: WorkerUsage, prices: CostPrices): CostBreakdown {
  const requests = (usage.requests * prices.perMillionRequests) / 1e6;
  const cpu = (usage.cpuMs * prices.perMillionCpuMs) / 1e6;
  const memory = usage.gbSeconds * prices.perGbSecond;
  return { requests, cpu, memory, total: requests + cpu + memory };
}

/** Where the admin API reads a worker's usage from. */
export interface UsageSource {
  readonly since: Date;
  readonly prices: CostPrices;
  usage(worker: string): WorkerUsage;
}
