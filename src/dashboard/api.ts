// The admin API as the page calls it: the token goes in the Authorization header of each fetch, never
// in a URL (where it would reach logs, history and Referer) or a cookie (which any site's form could
// make the browser send along).
import type { RecentErrorsJson, StatsSeriesJson } from '../host/observability/stats/stats-types.js';

export interface WorkerSummary {
  name: string;
  tenant: string;
  deployment: { versions: { id: string; number: number | null; percent: number }[] } | null;
  routes: string[];
  quarantine: { reason: string; at: string } | null;
}

export interface Usage {
  requests: number;
  cpuMs: number;
  cost: { total: number };
}

export interface EngineStatus {
  index: number;
  pid: number;
  up: boolean;
  restarts: number;
  inFlight: number;
  resident: number;
  rssBytes: number;
}

/** The token was refused (401): the page goes back to its login form. */
export class UnauthorizedError extends Error {}

export class ApiError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/** The page is at <base>/dashboard and the API at <base>/api/v1: "" for islet serve, "/__islet" for islet dev. */
export function apiBase(pathname: string): string {
  return pathname.replace(/\/dashboard\/?$/, '') + '/api/v1';
}

export class AdminApi {
  readonly #base: string;
  readonly #token: string;

  constructor(base: string, token: string) {
    this.#base = base;
    this.#token = token;
  }

  /** Sends the token; the caller reads the body (the tail's is a stream). */
  async request(path: string, signal?: AbortSignal): Promise<Response> {
    const response = await fetch(this.#base + path, {
      headers: { authorization: `Bearer ${this.#token}` },
      cache: 'no-store',
      credentials: 'omit',
      ...(signal !== undefined ? { signal } : {}),
    });
    if (response.status === 401) throw new UnauthorizedError('The admin token was refused.');
    if (!response.ok) {
      let message = `${response.status} ${response.statusText}`;
      try {
        const body = (await response.json()) as { error?: { message?: string } };
        if (typeof body.error?.message === 'string') message = body.error.message;
      } catch {
        // not the API's JSON error shape
      }
      throw new ApiError(response.status, message);
    }
    return response;
  }

  async json<T>(path: string): Promise<T> {
    return (await (await this.request(path)).json()) as T;
  }

  workers(): Promise<{ workers: WorkerSummary[] }> { return this.json('/workers'); }
  usage(worker: string): Promise<Usage> { return this.json(`/workers/${encodeURIComponent(worker)}/usage`); }
  engines(): Promise<{ engines: EngineStatus[] }> { return this.json('/engines'); }
  series(since: number): Promise<StatsSeriesJson> { return this.json(`/stats/series?since=${since}`); }
  errors(): Promise<RecentErrorsJson> { return this.json('/errors?limit=25'); }
}
