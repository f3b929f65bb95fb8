// [[durable_objects.bindings]] and [[migrations]] as wrangler writes them, and the deploy API's checks.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { parseObjectBindings, parseObjectMigrations } from '../../src/host/control/durable-objects-config.js';
import { readWorkerConfig } from '../../src/host/workers/read-wrangler-config.js';

const dirs: string[] = [];
after(() => { for (const dir of dirs) rmSync(dir, { recursive: true, force: true }); });
function project(toml: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'islet-do-config-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'wrangler.toml'), `name = "shop"\nmain = "index.js"\ncompatibility_date = "2025-01-01"\n${toml}`);
  writeFileSync(join(dir, 'index.js'), 'export default {}');
  return dir;
}

describe('Durable Object configuration', () => {
  test('bindings and migrations are read; renames and deletions are recorded with a note', () => {
    const config = readWorkerConfig({ cwd: project(`
[[durable_objects.bindings]]
name = "CART"
class_name = "Cart"
[[durable_objects.bindings]]
name = "SELF"
class_name = "Cart"
script_name = "shop"
[[migrations]]
tag = "v1"
new_sqlite_classes = ["Cart"]
[[migrations]]
tag = "v2"
renamed_classes = [{ from = "Old", to = "Cart" }]
deleted_classes = ["Gone"]
`) });
    assert.deepEqual(config.durableObjects, [{ binding: 'CART', className: 'Cart' }, { binding: 'SELF', className: 'Cart' }]);
    assert.deepEqual(config.durableObjectMigrations?.map((m) => m.tag), ['v1', 'v2']);
    assert.deepEqual(config.durableObjectMigrations?.[0]?.newSqliteClasses, ['Cart']);
    assert.deepEqual(config.durableObjectMigrations?.[1]?.renamedClasses, [{ from: 'Old', to: 'Cart' }]);
    assert.ok(config.warnings.some((w) => /migrations\[1\]: renamed_classes and deleted_classes are recorded but not applied/.test(w)));
  });

  test('a class of another worker (script_name) is refused, naming what to do', () => {
    assert.throws(() => readWorkerConfig({ cwd: project(`
[[durable_objects.bindings]]
name = "OTHER"
class_name = "Room"
script_name = "chat"
`) }), /script_name" names worker "chat": Islet runs a Durable Object class only in the worker that exports it/);
  });

  test('a binding name must not collide with a var', () => {
    assert.throws(() => readWorkerConfig({ cwd: project(`
[vars]
CART = "x"
[[durable_objects.bindings]]
name = "CART"
class_name = "Cart"
`) }), /reuses binding name "CART"/);
  });

  test('the deploy API refuses unknown fields and bad class names', () => {
    const claim = () => {};
    assert.deepEqual(parseObjectBindings([{ binding: 'C', className: 'Counter' }], claim), [{ binding: 'C', className: 'Counter' }]);
    assert.throws(() => parseObjectBindings([{ binding: 'C', className: 'Counter', scriptName: 'x' }], claim), /config\.durableObjects\[0\]\.scriptName: unknown field/);
    assert.throws(() => parseObjectBindings([{ binding: 'C', className: '1nope' }], claim), /className: must be a class name/);
    assert.throws(() => parseObjectMigrations([{ tag: '' }]), /tag: must be a string/);
  });
});
