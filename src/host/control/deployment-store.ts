// The control plane's state, in one SQLite file: workers, their immutable versions, the history of
// deployments (rollback reads it), routes, secrets and quarantine. Every change of more than one row
// is one transaction, and the checks it depends on (who owns a route, which versions a worker has) run
// inside it, so an admin request that fails leaves nothing half done, even with several processes on
// one file. The file holds secrets: it is created readable by its owner only.
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { ControlError } from './control-error.js';
import { isBindingName, MAX_ENV_VALUE_BYTES, parseVersionSplit, stickyOf } from './deploy-request.js';
import { NAME_PATTERN, NAME_RULE, type Deployment, type StickyBy, type VersionConfig, type WorkerRecord, type WorkerVersion } from './model.js';
import { parseRoutePattern } from './route-pattern.js';

/** A version without its code and source map: what listings show (a bundle may be 25 MiB). */
export type VersionInfo = Omit<WorkerVersion, 'code' | 'sourceMap'>;

export interface CreateVersionInput {
  worker: string;
  /** Null: the worker's tenant, or the worker's name when this creates the worker. */
  tenant: string | null;
  code: string;
  sourceMap: string | null;
  config: VersionConfig;
  message: string | null;
}

/** Cloudflare allows 128 environment variables per worker; secrets are a kind of them. */
export const MAX_SECRETS = 128;

// 2: routes belong to the worker (the routes table) and no longer to a version's config.
const SCHEMA_VERSION = 2;

// STRICT tables: a value of the wrong type is an error, not silently stored. Deployments keep their
// versions as JSON: they are read whole, never queried by percentage, and rows stay immutable.
const SCHEMA = `
CREATE TABLE workers (
  name TEXT PRIMARY KEY,
  tenant TEXT NOT NULL,
  created_at TEXT NOT NULL,
  quarantine_reason TEXT,
  quarantine_at TEXT
) STRICT;
CREATE TABLE versions (
  id TEXT PRIMARY KEY,
  worker TEXT NOT NULL REFERENCES workers (name) ON DELETE CASCADE,
  number INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  code TEXT NOT NULL,
  source_map TEXT,
  config TEXT NOT NULL,
  message TEXT,
  UNIQUE (worker, number)
) STRICT;
CREATE TABLE deployments (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  worker TEXT NOT NULL REFERENCES workers (name) ON DELETE CASCADE,
  versions TEXT NOT NULL,
  sticky TEXT,
  created_at TEXT NOT NULL
) STRICT;
CREATE INDEX deployments_by_worker ON deployments (worker, seq);
CREATE TABLE routes (
  pattern TEXT PRIMARY KEY,
  worker TEXT NOT NULL REFERENCES workers (name) ON DELETE CASCADE,
  position INTEGER NOT NULL
) STRICT;
CREATE INDEX routes_by_worker ON routes (worker, position);
CREATE TABLE secrets (
  worker TEXT NOT NULL REFERENCES workers (name) ON DELETE CASCADE,
  name TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (worker, name)
) STRICT;
`;

// Created when missing rather than by a schema version: it holds run history, not deployments, and
// an older server opening the file simply ignores it.
const CRON_RUNS = `
CREATE TABLE IF NOT EXISTS cron_runs (
  worker TEXT NOT NULL REFERENCES workers (name) ON DELETE CASCADE,
  cron TEXT NOT NULL,
  scheduled_time INTEGER NOT NULL,
  started_at TEXT NOT NULL,
  outcome TEXT NOT NULL,
  duration_ms REAL NOT NULL,
  PRIMARY KEY (worker, cron)
) STRICT;
`;

/** The last run of one of a worker's cron triggers. `outcome` is "ok", or the failure (e.g. "exception", "cpu_limit"). */
export interface CronRun {
  cron: string;
  /** When the run was due, ms since the epoch (the handler's controller.scheduledTime). */
  scheduledTime: number;
  startedAt: string;
  outcome: string;
  durationMs: number;
}

const WORKER_COLUMNS = `w.name, w.tenant, w.created_at, w.quarantine_reason, w.quarantine_at,
  d.versions AS d_versions, d.sticky AS d_sticky, d.created_at AS d_created_at`;
const LATEST_DEPLOYMENT = 'LEFT JOIN deployments d ON d.seq = (SELECT MAX(seq) FROM deployments WHERE worker = w.name)';
const VERSION_INFO_COLUMNS = 'id, worker, number, created_at, config, message';

type Row = Record<string, unknown>;

export class DeploymentStore {
  readonly path: string;
  readonly #db: DatabaseSync;
  readonly #sql = new Map<string, StatementSync>();

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    this.path = join(dataDir, 'control.sqlite');
    // Create the file (and tighten one left from before) before SQLite opens it: SQLite gives the
    // -wal and -shm files it creates the database file's permissions.
    closeSync(openSync(this.path, 'a', 0o600));
    for (const suffix of ['', '-wal', '-shm']) {
      if (existsSync(this.path + suffix)) chmodSync(this.path + suffix, 0o600);
    }
    this.#db = new DatabaseSync(this.path, { timeout: 5000 });
    // WAL with synchronous=FULL: an acknowledged deploy survives power loss, not only a killed process.
    this.#db.exec('PRAGMA journal_mode = WAL');
    this.#db.exec('PRAGMA synchronous = FULL');
    this.#db.exec('PRAGMA foreign_keys = ON');
    this.#migrate();
    this.#db.exec(CRON_RUNS);
  }

  close(): void {
    this.#db.close();
  }

  getWorker(name: string): WorkerRecord | null {
    const row = this.#get(`SELECT ${WORKER_COLUMNS} FROM workers w ${LATEST_DEPLOYMENT} WHERE w.name = ?`, name);
    return row === undefined ? null : workerOf(row);
  }

  /** Sorted by name. */
  listWorkers(): WorkerRecord[] {
    return this.#all(`SELECT ${WORKER_COLUMNS} FROM workers w ${LATEST_DEPLOYMENT} ORDER BY w.name`).map(workerOf);
  }

  /** The worker's route patterns (canonical spelling), in the order the last deploy that set them listed them. */
  workerRoutes(worker: string): string[] {
    return this.#all('SELECT pattern FROM routes WHERE worker = ? ORDER BY position', worker).map((row) => row['pattern'] as string);
  }

  /** Every route, for the route table. */
  routes(): { pattern: string; worker: string }[] {
    return this.#all('SELECT pattern, worker FROM routes ORDER BY worker, position')
      .map((row) => ({ pattern: row['pattern'] as string, worker: row['worker'] as string }));
  }

  /**
   * Stores a new version; it takes no traffic until a deploy names it. The first version creates the
   * worker and fixes its tenant; a later one naming another tenant is a conflict. A new worker joins
   * an existing tenant only when asked to by name: the default tenant (the worker's name) may belong
   * to other workers, whose KV data the new one must not read by accident.
   */
  createVersion(input: CreateVersionInput): WorkerVersion {
    if (!NAME_PATTERN.test(input.worker)) throw new ControlError('invalid_request', `"${input.worker}" is not a valid worker name: use ${NAME_RULE}`);
    if (input.tenant !== null && !NAME_PATTERN.test(input.tenant)) throw new ControlError('invalid_request', `"${input.tenant}" is not a valid tenant name: use ${NAME_RULE}`);
    return this.#transaction(() => {
      const now = new Date().toISOString();
      const existing = this.#get('SELECT tenant FROM workers WHERE name = ?', input.worker);
      if (existing === undefined) {
        if (input.tenant === null) this.#refuseImplicitJoin(input.worker);
        this.#run('INSERT INTO workers (name, tenant, created_at) VALUES (?, ?, ?)', input.worker, input.tenant ?? input.worker, now);
      } else if (input.tenant !== null && input.tenant !== existing['tenant']) {
        throw new ControlError('conflict', `worker "${input.worker}" belongs to tenant "${existing['tenant'] as string}"; a worker's tenant cannot change`);
      }
      this.#checkBindingsAgainstSecrets(input.worker, [input.config]);
      const last = this.#get('SELECT MAX(number) AS n FROM versions WHERE worker = ?', input.worker);
      const version: WorkerVersion = {
        id: randomUUID(),
        worker: input.worker,
        number: ((last?.['n'] as number | null) ?? 0) + 1,
        createdAt: now,
        code: input.code,
        sourceMap: input.sourceMap,
        config: input.config,
        message: input.message,
      };
      this.#run(
        'INSERT INTO versions (id, worker, number, created_at, code, source_map, config, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
        version.id, version.worker, version.number, version.createdAt, version.code, version.sourceMap, JSON.stringify(version.config), version.message,
      );
      return version;
    });
  }

  /**
   * Removes a version that never took traffic (its deploy failed the load check), and the worker too
   * when that leaves it with no versions and it never had a deployment. False when there is no such version.
   */
  discardVersion(id: string): boolean {
    return this.#transaction(() => {
      const row = this.#get('SELECT worker FROM versions WHERE id = ?', id);
      if (row === undefined) return false;
      const worker = row['worker'] as string;
      if (this.#get(`SELECT 1 FROM deployments d, json_each(d.versions) v
                     WHERE d.worker = ? AND json_extract(v.value, '$.id') = ? LIMIT 1`, worker, id) !== undefined) {
        throw new ControlError('conflict', `version ${id} of worker "${worker}" has been deployed and is kept for rollback`);
      }
      this.#run('DELETE FROM versions WHERE id = ?', id);
      this.#run(`DELETE FROM workers WHERE name = ?
                   AND NOT EXISTS (SELECT 1 FROM versions WHERE worker = ?)
                   AND NOT EXISTS (SELECT 1 FROM deployments WHERE worker = ?)`, worker, worker, worker);
      return true;
    });
  }

  getVersion(id: string): WorkerVersion | null {
    const row = this.#get(`SELECT ${VERSION_INFO_COLUMNS}, code, source_map FROM versions WHERE id = ?`, id);
    return row === undefined ? null : { ...versionInfoOf(row), code: row['code'] as string, sourceMap: row['source_map'] as string | null };
  }

  /** Newest first. */
  listVersions(worker: string): VersionInfo[] {
    return this.#all(`SELECT ${VERSION_INFO_COLUMNS} FROM versions WHERE worker = ? ORDER BY number DESC`, worker).map(versionInfoOf);
  }

  /**
   * Makes `versions` take the worker's traffic, appends the deployment to the history and clears a
   * quarantine. `routes` replaces the worker's routes; null keeps them (a split, a rollback, a deploy
   * without routes): routes are the worker's, whichever versions serve them. Nothing changes when any
   * check fails: unknown versions, bad percentages, a route another worker owns.
   */
  deploy(worker: string, versions: readonly { id: string; percent: number }[], sticky: StickyBy, routes: readonly string[] | null): Deployment {
    const split = parseVersionSplit(versions, 'versions');
    const stickyBy = stickyOf(sticky, 'sticky');
    const patterns = routes === null ? null : canonicalRoutes(routes);
    return this.#transaction(() => {
      this.#requireWorker(worker);
      const configs = split.map(({ id }, index) => {
        const row = this.#get('SELECT config FROM versions WHERE id = ? AND worker = ?', id, worker);
        if (row === undefined) throw new ControlError('not_found', `versions[${index}].id: worker "${worker}" has no version ${id}`);
        return JSON.parse(row['config'] as string) as VersionConfig;
      });
      this.#checkBindingsAgainstSecrets(worker, configs);
      if (patterns !== null) {
        for (const pattern of patterns) {
          const owner = this.#get('SELECT worker FROM routes WHERE pattern = ?', pattern);
          if (owner !== undefined && owner['worker'] !== worker) {
            throw new ControlError('conflict', `route "${pattern}" is already used by worker "${owner['worker'] as string}"`);
          }
        }
        this.#run('DELETE FROM routes WHERE worker = ?', worker);
        patterns.forEach((pattern, position) => this.#run('INSERT INTO routes (pattern, worker, position) VALUES (?, ?, ?)', pattern, worker, position));
      }
      const deployment: Deployment = { worker, versions: split, sticky: stickyBy, createdAt: new Date().toISOString() };
      this.#run('INSERT INTO deployments (worker, versions, sticky, created_at) VALUES (?, ?, ?, ?)',
        worker, JSON.stringify(split), stickyBy === null ? null : JSON.stringify(stickyBy), deployment.createdAt);
      this.#run('UPDATE workers SET quarantine_reason = NULL, quarantine_at = NULL WHERE name = ?', worker);
      return deployment;
    });
  }

  /** The deployment before the current one: what a rollback without a version returns to. */
  previousDeployment(worker: string): Deployment | null {
    const row = this.#get('SELECT worker, versions, sticky, created_at FROM deployments WHERE worker = ? ORDER BY seq DESC LIMIT 1 OFFSET 1', worker);
    return row === undefined ? null : deploymentOf(row['worker'] as string, row['versions'], row['sticky'], row['created_at']);
  }

  /** The worker, its versions, deployments, routes and secrets. False when there was no such worker. */
  deleteWorker(name: string): boolean {
    return this.#transaction(() => Number(this.#run('DELETE FROM workers WHERE name = ?', name).changes) > 0);
  }

  putSecret(worker: string, name: string, value: string): void {
    if (typeof name !== 'string' || !isBindingName(name)) {
      throw new ControlError('invalid_request', `secret name ${JSON.stringify(name)} is not a valid JavaScript identifier`);
    }
    if (typeof value !== 'string') throw new ControlError('invalid_request', 'value: must be a string');
    if (Buffer.byteLength(value) > MAX_ENV_VALUE_BYTES) {
      throw new ControlError('invalid_request', `value: a secret is at most ${MAX_ENV_VALUE_BYTES / 1024} KiB`);
    }
    this.#transaction(() => {
      this.#requireWorker(worker);
      const exists = this.#get('SELECT 1 FROM secrets WHERE worker = ? AND name = ?', worker, name) !== undefined;
      if (!exists && (this.#get('SELECT COUNT(*) AS n FROM secrets WHERE worker = ?', worker)?.['n'] as number) >= MAX_SECRETS) {
        throw new ControlError('invalid_request', `worker "${worker}" already has ${MAX_SECRETS} secrets, the most it can have`);
      }
      const taken = this.#deployedConfigs(worker).flatMap(envNames).find((entry) => entry.name === name);
      if (taken !== undefined) {
        throw new ControlError('conflict', `secret "${name}": the worker already has a ${taken.kind} of that name, and a secret cannot share its name with `
          + `another binding or var; rename the secret, or remove the ${taken.kind} from the config and deploy first`);
      }
      this.#run('INSERT INTO secrets (worker, name, value) VALUES (?, ?, ?) ON CONFLICT (worker, name) DO UPDATE SET value = excluded.value', worker, name, value);
    });
  }

  deleteSecret(worker: string, name: string): boolean {
    return Number(this.#run('DELETE FROM secrets WHERE worker = ? AND name = ?', worker, name).changes) > 0;
  }

  /** Sorted. */
  secretNames(worker: string): string[] {
    return this.#all('SELECT name FROM secrets WHERE worker = ? ORDER BY name', worker).map((row) => row['name'] as string);
  }

  secrets(worker: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const row of this.#all('SELECT name, value FROM secrets WHERE worker = ? ORDER BY name', worker)) {
      out[row['name'] as string] = row['value'] as string;
    }
    return out;
  }

  /** Records a cron trigger's run as the worker's last for that expression; nothing when the worker is gone. */
  recordCronRun(worker: string, run: CronRun): void {
    this.#run(`INSERT INTO cron_runs (worker, cron, scheduled_time, started_at, outcome, duration_ms)
               SELECT ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM workers WHERE name = ?)
               ON CONFLICT (worker, cron) DO UPDATE SET scheduled_time = excluded.scheduled_time,
                 started_at = excluded.started_at, outcome = excluded.outcome, duration_ms = excluded.duration_ms`,
    worker, run.cron, run.scheduledTime, run.startedAt, run.outcome, run.durationMs, worker);
  }

  /** The last run of each of the worker's cron triggers (including triggers it no longer has), by expression. */
  cronRuns(worker: string): CronRun[] {
    return this.#all('SELECT cron, scheduled_time, started_at, outcome, duration_ms FROM cron_runs WHERE worker = ? ORDER BY cron', worker)
      .map((row) => ({
        cron: row['cron'] as string, scheduledTime: row['scheduled_time'] as number, startedAt: row['started_at'] as string,
        outcome: row['outcome'] as string, durationMs: row['duration_ms'] as number,
      }));
  }

  /** Sets (reason) or clears (null) the worker's quarantine; a deploy clears it too. False when there is no such worker. */
  setQuarantine(worker: string, reason: string | null): boolean {
    const at = reason === null ? null : new Date().toISOString();
    return Number(this.#run('UPDATE workers SET quarantine_reason = ?, quarantine_at = ? WHERE name = ?', reason, at, worker).changes) > 0;
  }

  #migrate(): void {
    this.#transaction(() => {
      const version = this.#db.prepare('PRAGMA user_version').get()?.['user_version'] as number;
      if (version > SCHEMA_VERSION) {
        throw new Error(`${this.path} was written by a newer Islet (schema ${version}; this one knows ${SCHEMA_VERSION})`);
      }
      if (version === 0) this.#db.exec(SCHEMA);
      // Schema 1 kept each deploy's routes in its version too. The routes table already holds what is
      // served, so it stays as it is; the copies go, so that no version reads as if it carried routes.
      if (version === 1) this.#db.exec(`UPDATE versions SET config = json_remove(config, '$.routes')`);
      if (version !== SCHEMA_VERSION) this.#db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
    });
  }

  #refuseImplicitJoin(worker: string): void {
    const members = this.#all('SELECT name FROM workers WHERE tenant = ? ORDER BY name LIMIT 4', worker).map((row) => row['name'] as string);
    if (members.length === 0) return;
    const listed = members.length > 3 ? `${members.slice(0, 3).join(', ')}, ...` : members.join(', ');
    throw new ControlError('conflict',
      `tenant "${worker}" already exists (workers: ${listed}), and a new worker's tenant defaults to its own name. `
      + `To add worker "${worker}" to that tenant and share its data, set the tenant explicitly (islet deploy --tenant ${worker}); `
      + 'otherwise choose another worker name or tenant.');
  }

  #requireWorker(worker: string): void {
    if (this.#get('SELECT 1 FROM workers WHERE name = ?', worker) === undefined) {
      throw new ControlError('not_found', `worker "${worker}" does not exist`);
    }
  }

  /** The configurations of the versions in the worker's current deployment. */
  #deployedConfigs(worker: string): VersionConfig[] {
    const row = this.#get('SELECT versions FROM deployments WHERE worker = ? ORDER BY seq DESC LIMIT 1', worker);
    if (row === undefined) return [];
    const ids = (JSON.parse(row['versions'] as string) as { id: string }[]).map((entry) => entry.id);
    return ids.flatMap((id) => {
      const version = this.#get('SELECT config FROM versions WHERE id = ?', id);
      return version === undefined ? [] : [JSON.parse(version['config'] as string) as VersionConfig];
    });
  }

  /**
   * A secret and a var or binding of one name would be one env property: refuse rather than let one
   * hide the other, as Cloudflare refuses a binding name already in use (error 10053).
   */
  #checkBindingsAgainstSecrets(worker: string, configs: readonly VersionConfig[]): void {
    for (const config of configs) {
      for (const { name, kind } of envNames(config)) {
        if (this.#get('SELECT 1 FROM secrets WHERE worker = ? AND name = ?', worker, name) !== undefined) {
          throw new ControlError('conflict', `${kind} "${name}" has the name of one of the worker's secrets, and a secret cannot share its name with `
            + `another binding or var; rename one of them, or delete the secret (islet secret delete ${worker} ${name})`);
        }
      }
    }
  }

  #transaction<T>(body: () => T): T {
    // IMMEDIATE takes the write lock first, so two processes never both read and then fail to upgrade.
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      const result = body();
      this.#db.exec('COMMIT');
      return result;
    } catch (error) {
      // SQLite rolls back by itself after some errors (a full disk); a second ROLLBACK would hide the cause.
      if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
      throw error;
    }
  }

  #statement(sql: string): StatementSync {
    let statement = this.#sql.get(sql);
    if (statement === undefined) {
      statement = this.#db.prepare(sql);
      this.#sql.set(sql, statement);
    }
    return statement;
  }

  #get(sql: string, ...params: (string | number | null)[]): Row | undefined {
    return this.#statement(sql).get(...params) as Row | undefined;
  }

  #all(sql: string, ...params: (string | number | null)[]): Row[] {
    return this.#statement(sql).all(...params) as Row[];
  }

  #run(sql: string, ...params: (string | number | null)[]): { changes: number | bigint } {
    return this.#statement(sql).run(...params);
  }
}

/** Every name a version puts in `env` besides secrets, with what it is, for messages. */
function envNames(config: VersionConfig): { name: string; kind: string }[] {
  return [
    ...Object.keys(config.vars).map((name) => ({ name, kind: 'var' })),
    ...config.kvNamespaces.map((kv) => ({ name: kv.binding, kind: 'KV namespace binding' })),
    ...(config.services ?? []).map((service) => ({ name: service.binding, kind: 'service binding' })),
    ...(config.analyticsEngineDatasets ?? []).map((dataset) => ({ name: dataset.binding, kind: 'Analytics Engine binding' })),
    ...(config.durableObjects ?? []).map((object) => ({ name: object.binding, kind: 'Durable Object binding' })),
    ...(config.queues?.producers ?? []).map((producer) => ({ name: producer.binding, kind: 'queue binding' })),
  ];
}

function canonicalRoutes(routes: readonly string[]): string[] {
  const out = new Set<string>();
  routes.forEach((route, index) => {
    if (typeof route !== 'string') throw new ControlError('invalid_request', `routes[${index}]: must be a string`);
    const text = parseRoutePattern(route).text;
    if (out.has(text)) throw new ControlError('invalid_request', `routes[${index}]: repeats route "${text}"`);
    out.add(text);
  });
  return [...out];
}

function workerOf(row: Row): WorkerRecord {
  const reason = row['quarantine_reason'] as string | null;
  return {
    name: row['name'] as string,
    tenant: row['tenant'] as string,
    createdAt: row['created_at'] as string,
    deployment: row['d_versions'] === null ? null : deploymentOf(row['name'] as string, row['d_versions'], row['d_sticky'], row['d_created_at']),
    quarantine: reason === null ? null : { reason, at: row['quarantine_at'] as string },
  };
}

function deploymentOf(worker: string, versions: unknown, sticky: unknown, createdAt: unknown): Deployment {
  return {
    worker,
    versions: JSON.parse(versions as string) as Deployment['versions'],
    sticky: sticky === null ? null : (JSON.parse(sticky as string) as StickyBy),
    createdAt: createdAt as string,
  };
}

function versionInfoOf(row: Row): VersionInfo {
  return {
    id: row['id'] as string,
    worker: row['worker'] as string,
    number: row['number'] as number,
    createdAt: row['created_at'] as string,
    config: JSON.parse(row['config'] as string) as VersionConfig,
    message: row['message'] as string | null,
  };
}
