// The engine's side of usage metrics, in protocol messages: a ping or stats question is preceded by a
// report of what the workers used since the last one (nothing is sent when nothing was used), and the
// supervisor's client takes reports only about workers it gave the engine, and failure kinds only
// from the runtime's list.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { EngineClient } from '../../src/host/engines/engine-client.js';
import { EngineHost } from '../../src/host/engines/engine-host.js';
import type { FromEngine, ToEngine } from '../../src/host/engines/engine-protocol.js';
import { MemoryLogSink } from '../../src/host/observability/log-sink.js';
import { OPERATION_BUCKETS, OPERATIONS } from '../../src/host/observability/usage/usage-ops.js';
import type { UsageReport } from '../../src/host/observability/usage/usage-report.js';
import { get, versionSpec } from '../engines/engine-harness.js';

const root = mkdtempSync(join(tmpdir(), 'islet-usage-report-'));
after(() => rmSync(root, { recursive: true, force: true }));

const KV_WORKER = `export default { async fetch(request, env) {
  await env.KV.put('k', 'v'); await env.KV.put('k', 'w');
  return new Response(await env.KV.get('k'));
} }`;

function seriesIndex(kind: string, op: string): number {
  return OPERATIONS.findIndex((s) => s.kind === kind && s.op === op);
}

test('a ping is preceded by the usage since the last report, and nothing is sent when nothing was used', async () => {
  const messages: FromEngine[] = [];
  let answered: (() => void) | null = null;
  const host = new EngineHost({
    dataDir: join(root, 'ping'), egressAllow: [], spares: 1, maxResident: 10, maxResidentMb: 1024,
    send: (message) => { messages.push(message); if (message.t === 'res') answered?.(); },
  });
  try {
    host.handle({ t: 'spec', spec: versionSpec('v1', KV_WORKER, { worker: 'greeter', kv: [{ binding: 'KV', storeNamespace: 'acme:kv' }] }) });
    const request = get('/');
    const done = new Promise<void>((resolve) => { answered = resolve; });
    host.handle({ t: 'req', r: [1, 'v1', request.method, request.url, request.headers, new Uint8Array([1, 2, 3]).buffer, request.traceId, 0] });
    await done;
    messages.length = 0;
    host.handle({ t: 'ping', seq: 7 });
    assert.deepEqual(messages.map((m) => m.t), ['usage', 'pong']);
    const report = (messages[0] as { u: UsageReport }).u;
    const operations = OPERATIONS.map(() => 0);
    operations[seriesIndex('kv', 'put')] = 2;
    operations[seriesIndex('kv', 'get')] = 1;
    // 3 bytes in, and 'w' (1 byte) out.
    assert.deepEqual(report.w, [['greeter', 0, 3, 1, operations]]);
    assert.deepEqual(report.l.map(([series, buckets]) => [OPERATIONS[series]!.op, buckets.reduce((a, b) => a + b, 0), buckets.length]),
      [['get', 1, OPERATION_BUCKETS.length + 1], ['put', 2, OPERATION_BUCKETS.length + 1]]);
    assert.deepEqual(report.p, []);

    messages.length = 0;
    host.handle({ t: 'ping', seq: 8 });
    assert.deepEqual(messages.map((m) => m.t), ['pong'], 'counts are sent once: they are deltas');
  } finally {
    host.close();
  }
});

test('the supervisor\'s client takes usage only about workers it gave the engine', () => {
  const sent: ToEngine[] = [];
  const client = new EngineClient((message) => sent.push(message), new MemoryLogSink());
  const reports: UsageReport[] = [];
  client.onUsage = (report) => reports.push(report);
  void client.warm(versionSpec('v1', KV_WORKER, { worker: 'greeter' }));
  const row = (worker: string) => ({ w: [[worker, 1, 0, 0, OPERATIONS.map(() => 0)]], l: [], p: [] });
  client.receive({ t: 'usage', u: row('someone-else') });
  client.receive({ t: 'usage', u: { ...row('greeter'), l: [[OPERATIONS.length, [], 0]] } });
  client.receive({ t: 'usage', u: { ...row('greeter'), w: [['greeter', -1, 0, 0, OPERATIONS.map(() => 0)]] } });
  assert.equal(reports.length, 0, 'an unknown worker, an unknown series and a negative count are refused');
  client.receive({ t: 'usage', u: row('greeter') });
  assert.equal(reports.length, 1);
  client.close();
});

test('a response carries the runtime\'s failure kind when the engine names one from its list, and none otherwise', async () => {
  const client = new EngineClient(() => {}, new MemoryLogSink());
  const spec = versionSpec('v1', KV_WORKER, { worker: 'greeter' });
  const answers = [1, 2, 3].map(() => client.fetch(spec, get('/')));
  client.receive({ t: 'res', r: [1, 503, '', '', 'Worker exceeded its CPU time limit.\n', 5, -1, 'cpu_limit'] });
  client.receive({ t: 'res', r: [2, 503, '', '', 'Worker exceeded its CPU time limit.\n', 5, -1, null] });
  client.receive({ t: 'res', r: [3, 503, '', '', 'x', 5, -1, 'quarantine'] });
  const [limited, own, forged] = await Promise.all(answers);
  assert.equal(limited!.failure, 'cpu_limit');
  assert.equal(own!.failure, undefined);
  assert.equal(forged!.failure, undefined, 'quarantine is the supervisor\'s to say, not an engine\'s');
  client.close();
});
