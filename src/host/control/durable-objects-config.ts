// The Durable Object part of a deploy request's config (`durableObjects`, `durableObjectMigrations`),
// checked field by field as the rest of deploy-request.ts: it comes from the network.
import type { DurableObjectBindingConfig, DurableObjectMigration } from '../workers/worker-config.js';
import { ControlError } from './control-error.js';

const IDENTIFIER = /^[\p{ID_Start}$_][\p{ID_Continue}$\u200C\u200D]*$/u;
/** Cloudflare's limit on Durable Object classes per worker is far below this; it bounds one request. */
export const MAX_OBJECT_BINDINGS = 64;
const MAX_MIGRATIONS = 1_000;
const MAX_TAG = 256;

function fail(field: string, problem: string): never {
  throw new ControlError('invalid_request', `${field}: ${problem}`);
}

function record(value: unknown, field: string, allowed: readonly string[]): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(field, 'must be a JSON object');
  const raw = value as Record<string, unknown>;
  for (const key of Object.keys(raw)) if (!allowed.includes(key)) fail(`${field}.${key}`, `unknown field (expected ${allowed.join(', ')})`);
  return raw;
}

function className(value: unknown, field: string): string {
  if (typeof value !== 'string' || !IDENTIFIER.test(value) || value.length > 256) fail(field, 'must be a class name (a JavaScript identifier)');
  return value as string;
}

function classNames(value: unknown, field: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.length > MAX_OBJECT_BINDINGS) fail(field, `must be an array of at most ${MAX_OBJECT_BINDINGS} class names`);
  return (value as unknown[]).map((item, i) => className(item, `${field}[${i}]`));
}

/** `claim` reserves the binding's name in env, refusing one a var or another binding already has. */
export function parseObjectBindings(value: unknown, claim: (binding: string, field: string) => void): DurableObjectBindingConfig[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.length > MAX_OBJECT_BINDINGS) fail('config.durableObjects', `must be an array of at most ${MAX_OBJECT_BINDINGS} {binding, className}`);
  return (value as unknown[]).map((item, index) => {
    const at = `config.durableObjects[${index}]`;
    const entry = record(item, at, ['binding', 'className']);
    if (typeof entry['binding'] !== 'string') fail(`${at}.binding`, 'must be a string');
    claim(entry['binding'] as string, `${at}.binding`);
    return { binding: entry['binding'] as string, className: className(entry['className'], `${at}.className`) };
  });
}

export function parseObjectMigrations(value: unknown): DurableObjectMigration[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.length > MAX_MIGRATIONS) fail('config.durableObjectMigrations', `must be an array of at most ${MAX_MIGRATIONS} migrations`);
  return (value as unknown[]).map((item, index) => {
    const at = `config.durableObjectMigrations[${index}]`;
    const entry = record(item, at, ['tag', 'newClasses', 'newSqliteClasses', 'renamedClasses', 'deletedClasses']);
    const tag = entry['tag'];
    if (typeof tag !== 'string' || tag === '' || tag.length > MAX_TAG) fail(`${at}.tag`, `must be a string of 1 to ${MAX_TAG} characters`);
    const renamed = entry['renamedClasses'] ?? [];
    if (!Array.isArray(renamed) || renamed.length > MAX_OBJECT_BINDINGS) fail(`${at}.renamedClasses`, 'must be an array of {from, to}');
    return {
      tag: tag as string,
      newClasses: classNames(entry['newClasses'], `${at}.newClasses`),
      newSqliteClasses: classNames(entry['newSqliteClasses'], `${at}.newSqliteClasses`),
      renamedClasses: (renamed as unknown[]).map((r, i) => {
        const pair = record(r, `${at}.renamedClasses[${i}]`, ['from', 'to']);
        return { from: className(pair['from'], `${at}.renamedClasses[${i}].from`), to: className(pair['to'], `${at}.renamedClasses[${i}].to`) };
      }),
      deletedClasses: classNames(entry['deletedClasses'], `${at}.deletedClasses`),
    };
  });
}
