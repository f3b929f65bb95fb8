// The admin API's answers as the CLI relies on them (docs/admin-api.md). The server is another
// program, possibly another version of Islet, so each answer is checked before any field is used; the
// checked object itself is returned, so fields this version does not know survive into `--json` output.
import type { VersionConfig } from '../host/control/model.js';

export type Sticky = { header: string } | { cookie: string } | null;

export interface DeploymentSummary {
  /** `number` is null or absent when the server does not state it. */
  versions: { id: string; number?: number | null; percent: number }[];
  sticky: Sticky;
  createdAt: string;
}

export interface WorkerSummary {
  name: string;
  tenant: string;
  createdAt: string;
  deployment: DeploymentSummary | null;
  routes: string[];
  quarantine: { reason: string; at: string } | null;
  /** Cron triggers, when each is next due (null: no longer configured) and how its last run went. */
  triggers?: TriggerSummary[];
}

export interface TriggerSummary {
  cron: string;
  next: string | null;
  lastRun: { scheduledTime: string; startedAt: string; outcome: string; durationMs: number } | null;
}

export interface VersionSummary {
  id: string;
  number: number;
  createdAt: string;
  message: string | null;
  config: Partial<VersionConfig>;
}

export interface DeployResult {
  worker: WorkerSummary;
  version: VersionSummary;
  deployment: DeploymentSummary;
  warnings: string[];
}

export interface KvKey {
  name: string;
  expiration?: number;
  metadata?: unknown;
}

export interface KvListPage {
  keys: KvKey[];
  list_complete: boolean;
  cursor?: string;
}

/** A field that is missing or of the wrong type; the client turns it into an `invalid_response` AdminError. */
export class ResponseShapeError extends Error {
  constructor(at: string, expected: string) {
    super(`${at} is not ${expected}`);
  }
}

type Json = Record<string, unknown>;

function object(value: unknown, at: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ResponseShapeError(at, 'an object');
  return value as Json;
}

function string(o: Json, key: string, at: string): string {
  const value = o[key];
  if (typeof value !== 'string') throw new ResponseShapeError(`${at}.${key}`, 'a string');
  return value;
}

function integer(o: Json, key: string, at: string): number {
  const value = o[key];
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new ResponseShapeError(`${at}.${key}`, 'a whole number');
  return value;
}

function array(o: Json, key: string, at: string): unknown[] {
  const value = o[key];
  if (!Array.isArray(value)) throw new ResponseShapeError(`${at}.${key}`, 'an array');
  return value;
}

function nullable<T>(o: Json, key: string, at: string, read: (value: unknown, at: string) => T): T | null {
  const value = o[key];
  return value === null || value === undefined ? null : read(value, `${at}.${key}`);
}

function readSticky(value: unknown, at: string): Sticky {
  const o = object(value, at);
  if (typeof o['header'] === 'string' || typeof o['cookie'] === 'string') return o as Sticky;
  throw new ResponseShapeError(at, '{header} or {cookie}');
}

export function readDeployment(value: unknown, at = 'deployment'): DeploymentSummary {
  const o = object(value, at);
  array(o, 'versions', at).forEach((item, index) => {
    const v = object(item, `${at}.versions[${index}]`);
    string(v, 'id', `${at}.versions[${index}]`);
    integer(v, 'percent', `${at}.versions[${index}]`);
    if (v['number'] !== undefined && v['number'] !== null) integer(v, 'number', `${at}.versions[${index}]`);
  });
  nullable(o, 'sticky', at, readSticky);
  string(o, 'createdAt', at);
  return o as unknown as DeploymentSummary;
}

export function readWorkerSummary(value: unknown, at = 'worker'): WorkerSummary {
  const o = object(value, at);
  for (const key of ['name', 'tenant', 'createdAt']) string(o, key, at);
  nullable(o, 'deployment', at, readDeployment);
  array(o, 'routes', at).forEach((route, index) => {
    if (typeof route !== 'string') throw new ResponseShapeError(`${at}.routes[${index}]`, 'a string');
  });
  nullable(o, 'quarantine', at, (q, qAt) => {
    const quarantine = object(q, qAt);
    string(quarantine, 'reason', qAt);
    return quarantine;
  });
  return o as unknown as WorkerSummary;
}

export function readVersionSummary(value: unknown, at = 'version'): VersionSummary {
  const o = object(value, at);
  string(o, 'id', at);
  integer(o, 'number', at);
  string(o, 'createdAt', at);
  if (o['message'] !== null && o['message'] !== undefined) string(o, 'message', at);
  object(o['config'] ?? {}, `${at}.config`);
  return o as unknown as VersionSummary;
}

export function readDeployResult(value: unknown): DeployResult {
  const o = object(value, 'answer');
  readWorkerSummary(o['worker'], 'answer.worker');
  readVersionSummary(o['version'], 'answer.version');
  readDeployment(o['deployment'], 'answer.deployment');
  if (o['warnings'] === undefined) o['warnings'] = [];
  readStrings(o['warnings'], 'answer.warnings');
  return o as unknown as DeployResult;
}

export function readList<T>(value: unknown, key: string, read: (item: unknown, at: string) => T): T[] {
  const o = object(value, 'answer');
  return array(o, key, 'answer').map((item, index) => read(item, `answer.${key}[${index}]`));
}

export function readStrings(value: unknown, at: string): string[] {
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) throw new ResponseShapeError(at, 'an array of strings');
  return value as string[];
}

export function readSecretName(value: unknown, at: string): string {
  return string(object(value, at), 'name', at);
}

/** A string field of the answer: `{deleted: name}`, `{name}`. */
export function readStringField(value: unknown, key: string): string {
  return string(object(value, 'answer'), key, 'answer');
}

/** How many keys a bulk write or delete wrote (Cloudflare's `successful_key_count`). */
export function readKvBulkResult(value: unknown): number {
  return integer(object(value, 'answer'), 'successful_key_count', 'answer');
}

export function readKvListPage(value: unknown): KvListPage {
  const o = object(value, 'answer');
  array(o, 'keys', 'answer').forEach((item, index) => {
    const key = object(item, `answer.keys[${index}]`);
    string(key, 'name', `answer.keys[${index}]`);
    if (key['expiration'] !== undefined) integer(key, 'expiration', `answer.keys[${index}]`);
  });
  if (typeof o['list_complete'] !== 'boolean') throw new ResponseShapeError('answer.list_complete', 'true or false');
  if (o['cursor'] !== undefined) string(o, 'cursor', 'answer');
  return o as unknown as KvListPage;
}
