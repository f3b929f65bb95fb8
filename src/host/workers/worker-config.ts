export interface KvNamespaceConfig {
  binding: string;
  id: string;
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
  limits: WorkerLimits;
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
