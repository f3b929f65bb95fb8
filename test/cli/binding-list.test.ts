// What `islet dev` lists at start: every binding a wrangler.toml declares, variables without values.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { bindingLines } from '../../src/cli/binding-list.js';
import { readWorkerConfig } from '../../src/host/workers/read-wrangler-config.js';

test('every kind of binding in a wrangler.toml is listed, and no variable value is shown', () => {
  const dir = mkdtempSync(join(tmpdir(), 'islet-bindings-'));
  try {
    writeFileSync(join(dir, 'index.js'), 'export default { fetch() { return new Response("x"); } };\n');
    writeFileSync(join(dir, '.dev.vars'), 'API_KEY=s3cret\n');
    writeFileSync(join(dir, 'wrangler.toml'), `name = "app"
main = "index.js"
compatibility_date = "2026-11-01"
[vars]
MODE = "production"
[[kv_namespaces]]
binding = "CACHE"
id = "cache-ns"
[[durable_objects.bindings]]
name = "ROOMS"
class_name = "ChatRoom"
[[analytics_engine_datasets]]
binding = "ANALYTICS"
dataset = "http_requests"
[[services]]
binding = "AUTH"
service = "auth"
entrypoint = "Checker"
[[queues.producers]]
binding = "JOBS"
queue = "jobs"
`);
    const lines = bindingLines(readWorkerConfig({ cwd: dir }));
    assert.deepEqual(lines, [
      'env.CACHE (KV namespace cache-ns)',
      'env.ROOMS (Durable Object class ChatRoom)',
      'env.ANALYTICS (Analytics Engine dataset http_requests)',
      'env.AUTH (service auth, entrypoint Checker)',
      'env.JOBS (queue jobs)',
      'env.MODE (variable)',
      'env.API_KEY (variable)',
    ]);
    assert.doesNotMatch(lines.join('\n'), /s3cret|production/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
