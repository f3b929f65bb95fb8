// `[[durable_objects.bindings]]` and `[[migrations]]` of a wrangler config. A class must be exported by
// this worker: binding another worker's class (`script_name`) would need the two workers' objects to
// meet in one process, which islet serve's placement does not promise, so it is refused by name.
// @see https://developers.cloudflare.com/durable-objects/reference/durable-objects-migrations/
import type { DurableObjectBindingConfig, DurableObjectMigration } from './worker-config.js';

type Fail = (key: string, problem: string) => never;

const IDENTIFIER = /^[\p{ID_Start}$_][\p{ID_Continue}$\u200C\u200D]*$/u;
const isTable = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);

export interface DurableObjectsSection {
  durableObjects: DurableObjectBindingConfig[];
  durableObjectMigrations: DurableObjectMigration[];
}

/** `claim` reserves a binding name in env; `warn` records what is accepted but has no effect here. */
export function readDurableObjects(raw: Record<string, unknown>, worker: string, fail: Fail, claim: (binding: string, key: string) => void, warn: (text: string) => void): DurableObjectsSection {
  const durableObjects: DurableObjectBindingConfig[] = [];
  const section = raw['durable_objects'];
  if (section !== undefined) {
    if (!isTable(section)) fail('durable_objects', 'must be a table with "bindings"');
    const bindings = (section as Record<string, unknown>)['bindings'] ?? [];
    if (!Array.isArray(bindings)) fail('durable_objects.bindings', 'must be an array of tables with "name" and "class_name"');
    (bindings as unknown[]).forEach((item, index) => {
      const at = `durable_objects.bindings[${index}]`;
      if (!isTable(item)) fail(at, 'must be a table with "name" and "class_name"');
      const entry = item as Record<string, unknown>;
      const name = entry['name'];
      const className = entry['class_name'];
      if (typeof name !== 'string') fail(`${at}.name`, 'must be a string');
      if (typeof className !== 'string' || !IDENTIFIER.test(className)) fail(`${at}.class_name`, 'must be the name of a class the worker exports');
      const script = entry['script_name'];
      if (script !== undefined && script !== worker) {
        fail(`${at}.script_name`, `names worker "${String(script)}": Islet runs a Durable Object class only in the worker that exports it; export ${String(className)} from this worker and drop script_name`);
      }
      if (entry['environment'] !== undefined) warn(`${at}.environment is ignored; Islet has no named environments`);
      claim(name as string, `${at}.name`);
      durableObjects.push({ binding: name as string, className: className as string });
    });
  }

  const durableObjectMigrations: DurableObjectMigration[] = [];
  const migrations = raw['migrations'] ?? [];
  if (!Array.isArray(migrations)) fail('migrations', 'must be an array of tables with "tag"');
  const names = (value: unknown, key: string): string[] => {
    if (value === undefined) return [];
    if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) fail(key, 'must be an array of class names');
    return value as string[];
  };
  (migrations as unknown[]).forEach((item, index) => {
    const at = `migrations[${index}]`;
    if (!isTable(item)) fail(at, 'must be a table with "tag"');
    const entry = item as Record<string, unknown>;
    if (typeof entry['tag'] !== 'string' || entry['tag'] === '') fail(`${at}.tag`, 'must be a non-empty string');
    const renamedRaw = entry['renamed_classes'] ?? [];
    if (!Array.isArray(renamedRaw)) fail(`${at}.renamed_classes`, 'must be an array of tables with "from" and "to"');
    const renamedClasses = (renamedRaw as unknown[]).map((r, i) => {
      if (!isTable(r) || typeof r['from'] !== 'string' || typeof r['to'] !== 'string') fail(`${at}.renamed_classes[${i}]`, 'must be a table with "from" and "to"');
      return { from: (r as Record<string, string>)['from']!, to: (r as Record<string, string>)['to']! };
    });
    const migration: DurableObjectMigration = {
      tag: entry['tag'] as string,
      newClasses: names(entry['new_classes'], `${at}.new_classes`),
      newSqliteClasses: names(entry['new_sqlite_classes'], `${at}.new_sqlite_classes`),
      renamedClasses,
      deletedClasses: names(entry['deleted_classes'], `${at}.deleted_classes`),
    };
    // Every class is SQLite-backed here; renames and deletions are recorded, not applied to stored data.
    if (migration.renamedClasses.length > 0 || migration.deletedClasses.length > 0) {
      warn(`${at}: renamed_classes and deleted_classes are recorded but not applied; stored objects of those classes stay as they are`);
    }
    if (entry['transferred_classes'] !== undefined) warn(`${at}.transferred_classes is ignored`);
    durableObjectMigrations.push(migration);
  });
  return { durableObjects, durableObjectMigrations };
}
