// The admin API's endpoints (docs/admin-api.md), each a thin translation between JSON and Platform.
import { KvError } from '../../bindings/kv/kv-binding.js';
import { checkBulkDelete, checkBulkPut, KV_BULK_MAX_PAIRS, KvBulkError } from '../../bindings/kv/kv-bulk-checks.js';
import { ControlError } from '../../control/control-error.js';
import { parseDeployRequest, parseRollbackRequest, parseSplitRequest } from '../../control/deploy-request.js';
import type { VersionInfo } from '../../control/deployment-store.js';
import { NAME_PATTERN, NAME_RULE, type Deployment, type WorkerRecord } from '../../control/model.js';
import { costOf, type UsageSource } from '../../observability/metrics/cost-model.js';
import type { Platform } from '../../platform/platform.js';
import { errorReply, type AdminReply, type AdminRequest, type AdminRoute } from './admin-http.js';
import { analyticsRoute } from './analytics-route.js';
import { scheduledRoute } from './scheduled-route.js';

const NAME = '([^/]+)';
const ok = (json: unknown, status = 200): AdminReply => ({ status, json });

function workerName(request: AdminRequest): string {
  const name = request.params[0]!;
  if (!NAME_PATTERN.test(name)) {
    throw new ControlError('invalid_request', `"${name}" is not a valid worker name: use ${NAME_RULE}`);
  }
  return name;
}

function versionSummary(version: VersionInfo) {
  return { id: version.id, number: version.number, createdAt: version.createdAt, message: version.message, config: version.config };
}

function deploymentSummary(platform: Platform, deployment: Deployment | null) {
  if (deployment === null) return null;
  return {
    versions: deployment.versions.map((v) => ({ id: v.id, number: platform.store.getVersion(v.id)?.number ?? null, percent: v.percent })),
    sticky: deployment.sticky,
    createdAt: deployment.createdAt,
  };
}

function workerSummary(platform: Platform, worker: WorkerRecord) {
  return {
    name: worker.name,
    tenant: worker.tenant,
    createdAt: worker.createdAt,
    deployment: deploymentSummary(platform, worker.deployment),
    routes: platform.store.workerRoutes(worker.name),
    quarantine: worker.quarantine,
    triggers: triggersOf(platform, worker.name),
  };
}

/** The worker's cron triggers, when each is next due, and the last run of each (also of triggers it no longer has). */
function triggersOf(platform: Platform, name: string) {
  const runs = new Map(platform.store.cronRuns(name).map((run) => [run.cron, run]));
  const triggers = platform.triggers(name).map(({ cron, next }) => ({ cron, next, lastRun: lastRunOf(runs.get(cron)) }));
  for (const [cron, run] of runs) if (!triggers.some((t) => t.cron === cron)) triggers.push({ cron, next: null, lastRun: lastRunOf(run) });
  return triggers;
}

function lastRunOf(run: ReturnType<Platform['store']['cronRuns']>[number] | undefined) {
  return run === undefined ? null : {
    scheduledTime: new Date(run.scheduledTime).toISOString(), startedAt: run.startedAt, outcome: run.outcome, durationMs: Math.round(run.durationMs * 10) / 10,
  };
}

function requireWorker(platform: Platform, name: string): WorkerRecord {
  const worker = platform.store.getWorker(name);
  if (worker === null) throw new ControlError('not_found', `worker "${name}" not found`);
  return worker;
}

/** KV's own errors (a key too long, bad metadata) are the caller's mistake: 400 with KV's message. */
async function kvCall<T>(work: () => T | Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof KvError || err instanceof KvBulkError) throw new ControlError('invalid_request', err.message);
    throw err;
  }
}

/** Cloudflare's per-request bound on a bulk body's items (its bytes are bounded by MAX_ADMIN_BODY). */
function tooManyItems(body: unknown): AdminReply | null {
  if (!Array.isArray(body) || body.length <= KV_BULK_MAX_PAIRS) return null;
  return errorReply('too_large', `A bulk request takes at most ${KV_BULK_MAX_PAIRS} items, got ${body.length}; send them in several requests.`);
}

function optionalNumber(query: URLSearchParams, key: string): number | undefined {
  const value = query.get(key);
  return value === null ? undefined : Number(value);
}

export function adminRoutes(platform: Platform, usage: UsageSource): AdminRoute[] {
  return [
    { method: 'GET', path: /^\/health$/, handle: () => ok({ ok: true }) },
    { method: 'GET', path: /^\/engines$/, handle: async () => ok({ engines: await platform.engines() }) },
    { method: 'GET', path: /^\/workers$/, handle: () => ok({ workers: platform.store.listWorkers().map((w) => workerSummary(platform, w)) }) },
    {
      method: 'PUT', path: new RegExp(`^/workers/${NAME}$`), handle: async (request) => {
        const name = workerName(request);
        const deploy = parseDeployRequest(request.json());
        const result = await platform.deploy(name, deploy);
        return ok({
          worker: workerSummary(platform, result.worker),
          version: versionSummary(result.version),
          deployment: deploymentSummary(platform, result.deployment),
          warnings: result.warnings,
        }, 201);
      },
    },
    { method: 'GET', path: new RegExp(`^/workers/${NAME}$`), handle: (request) => ok(workerSummary(platform, requireWorker(platform, workerName(request)))) },
    {
      method: 'DELETE', path: new RegExp(`^/workers/${NAME}$`), handle: async (request) => {
        const name = workerName(request);
        await platform.deleteWorker(name);
        return ok({ deleted: name });
      },
    },
    {
      method: 'GET', path: new RegExp(`^/workers/${NAME}/versions$`), handle: (request) => {
        const name = workerName(request);
        requireWorker(platform, name);
        return ok({ versions: platform.store.listVersions(name).map(versionSummary) });
      },
    },
    {
      method: 'GET', path: new RegExp(`^/workers/${NAME}/versions/${NAME}$`), handle: (request) => {
        const name = workerName(request);
        const version = platform.store.getVersion(request.params[1]!);
        if (version === null || version.worker !== name) throw new ControlError('not_found', `version ${request.params[1]} of worker "${name}" not found`);
        return ok(versionSummary(version));
      },
    },
    {
      method: 'POST', path: new RegExp(`^/workers/${NAME}/deployments$`), handle: async (request) => {
        const { versions, sticky } = parseSplitRequest(request.json());
        return ok({ deployment: deploymentSummary(platform, await platform.split(workerName(request), versions, sticky)) }, 201);
      },
    },
    {
      method: 'POST', path: new RegExp(`^/workers/${NAME}/rollback$`), handle: async (request) => {
        const { version } = parseRollbackRequest(request.json());
        return ok({ deployment: deploymentSummary(platform, await platform.rollback(workerName(request), version)) }, 201);
      },
    },
    {
      method: 'GET', path: new RegExp(`^/workers/${NAME}/usage$`), handle: (request) => {
        const name = workerName(request);
        requireWorker(platform, name);
        const used = usage.usage(name);
        return ok({ worker: name, since: usage.since.toISOString(), ...used, cost: costOf(used, usage.prices), prices: usage.prices });
      },
    },
    {
      method: 'GET', path: new RegExp(`^/workers/${NAME}/secrets$`), handle: (request) => {
        const name = workerName(request);
        requireWorker(platform, name);
        return ok({ secrets: platform.store.secretNames(name).map((secret) => ({ name: secret })) });
      },
    },
    {
      method: 'PUT', path: new RegExp(`^/workers/${NAME}/secrets/${NAME}$`), handle: (request) => {
        const body = request.json();
        const value = typeof body === 'object' && body !== null ? (body as { value?: unknown }).value : undefined;
        if (typeof value !== 'string') throw new ControlError('invalid_request', 'value: a secret is a string');
        platform.putSecret(workerName(request), request.params[1]!, value);
        return ok({ name: request.params[1] });
      },
    },
    {
      method: 'DELETE', path: new RegExp(`^/workers/${NAME}/secrets/${NAME}$`), handle: (request) => {
        if (!platform.deleteSecret(workerName(request), request.params[1]!)) throw new ControlError('not_found', `secret "${request.params[1]}" not found`);
        return ok({ deleted: request.params[1] });
      },
    },
    {
      method: 'GET', path: new RegExp(`^/workers/${NAME}/kv/${NAME}/keys$`), handle: async (request) => {
        const kv = platform.kvNamespace(workerName(request), request.params[1]!);
        const { query } = request;
        const limit = optionalNumber(query, 'limit');
        return ok(await kvCall(() => kv.list({
          ...(query.get('prefix') !== null ? { prefix: query.get('prefix') } : {}),
          ...(limit !== undefined ? { limit } : {}),
          ...(query.get('cursor') !== null ? { cursor: query.get('cursor') } : {}),
        })));
      },
    },
    {
      // `(.*)`: an empty key reaches KV, so the answer is KV's own refusal, not an unknown endpoint.
      method: 'GET', path: new RegExp(`^/workers/${NAME}/kv/${NAME}/values/(.*)$`), handle: async (request) => {
        const kv = platform.kvNamespace(workerName(request), request.params[1]!);
        const entry = await kvCall(() => kv.get(request.params[2]!, undefined));
        if (entry === null) return errorReply('not_found', `key "${request.params[2]}" not found`);
        return { status: 200, bytes: entry.value, contentType: 'application/octet-stream' };
      },
    },
    {
      method: 'PUT', path: new RegExp(`^/workers/${NAME}/kv/${NAME}/values/(.*)$`), handle: async (request) => {
        const kv = platform.kvNamespace(workerName(request), request.params[1]!);
        const metadata = request.headers['x-islet-metadata'];
        const expiration = optionalNumber(request.query, 'expiration');
        const expirationTtl = optionalNumber(request.query, 'expiration_ttl');
        await kvCall(() => kv.put(request.params[2]!, new Uint8Array(request.body), {
          ...(expiration !== undefined ? { expiration } : {}),
          ...(expirationTtl !== undefined ? { expirationTtl } : {}),
          ...(typeof metadata === 'string' ? { metadata } : {}),
        }));
        return ok({ ok: true });
      },
    },
    {
      method: 'DELETE', path: new RegExp(`^/workers/${NAME}/kv/${NAME}/values/(.*)$`), handle: async (request) => {
        const kv = platform.kvNamespace(workerName(request), request.params[1]!);
        await kvCall(() => kv.delete(request.params[2]!));
        return ok({ ok: true });
      },
    },
    {
      // Cloudflare's "Write multiple key-value pairs": every item is checked before any is written,
      // then all are written in one transaction, so a refused request leaves nothing behind.
      method: 'PUT', path: new RegExp(`^/workers/${NAME}/kv/${NAME}/bulk$`), handle: async (request) => {
        const kv = platform.kvNamespace(workerName(request), request.params[1]!);
        const body = request.json();
        const refused = tooManyItems(body);
        if (refused !== null) return refused;
        const { writes } = await kvCall(() => checkBulkPut(body, Math.floor(Date.now() / 1000)));
        await kv.putMany(writes);
        return ok({ successful_key_count: writes.length, unsuccessful_keys: [] });
      },
    },
    {
      method: 'POST', path: new RegExp(`^/workers/${NAME}/kv/${NAME}/bulk/delete$`), handle: async (request) => {
        const kv = platform.kvNamespace(workerName(request), request.params[1]!);
        const body = request.json();
        const refused = tooManyItems(body);
        if (refused !== null) return refused;
        const keys = await kvCall(() => checkBulkDelete(body, false));
        await kv.deleteMany(keys);
        return ok({ successful_key_count: keys.length, unsuccessful_keys: [] });
      },
    },
    analyticsRoute(platform),
    scheduledRoute(platform),
  ];
}
