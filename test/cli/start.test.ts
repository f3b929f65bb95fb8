// `npm start` as a new user runs it: every example answers its printed curl.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startIslet } from '../helpers/cli.js';

test('islet start serves every example on its own route', async () => {
  const state = mkdtempSync(join(tmpdir(), 'islet-start-'));
  const server = await startIslet(['start', '--port', '0', '--persist-to', state], state);
  const post = (path: string, body: unknown) => fetch(`${server.url}${path}`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  try {
    // Each example's curl line is printed.
    for (const name of ['hello', 'analytics', 'fraud-check', 'pricing', 'iot-processor']) {
      assert.match(server.output(), new RegExp(`curl .*${server.url}/${name}`));
    }
    assert.equal(await (await fetch(`${server.url}/hello?name=Ada`)).text(), 'Hello from Islet, Ada!\n');

    const event = await post('/analytics', { userId: 'u1', eventType: 'click' });
    assert.equal(event.status, 200);
    assert.equal(((await event.json()) as { aggregate: { eventCount: number } }).aggregate.eventCount, 1);
    const aggregate = await (await fetch(`${server.url}/analytics?userId=u1`)).json() as { eventCount: number; lastEvent: string };
    assert.deepEqual([aggregate.eventCount, aggregate.lastEvent], [1, 'click']);
    assert.equal((await post('/analytics', { nope: true })).status, 400);

    const decision = await (await post('/fraud-check', { userId: 'u9', amount: 20 })).json() as { approved: boolean; score: number };
    assert.deepEqual([decision.approved, decision.score], [true, 0]);

    // Seeded data: gadget base 149.0, stock 7 (< 10: x1.2), alice is gold (-15%): 149 * 1.2 * 0.85 = 151.98.
    const price = await (await fetch(`${server.url}/pricing?product=gadget&user=alice`)).json() as { price: number };
    assert.equal(price.price, 151.98);
    assert.equal((await fetch(`${server.url}/pricing?product=nothing`)).status, 404);

    // 92 is over the 85 threshold and 21.67 above the average of the three before: two alerts, both
    // delivered through fetch() to the monitoring example.
    const iot = await (await post('/iot-processor', { sensorId: 's1', readings: [
      { temperature: 70, timestamp: 1 }, { temperature: 71, timestamp: 2 }, { temperature: 70, timestamp: 3 }, { temperature: 92, timestamp: 4 },
    ] })).json() as { processed: number; alerts: number; delivered: number };
    assert.deepEqual(iot, { processed: 4, alerts: 2, delivered: 2 });
    const monitored = await (await fetch(`${server.url}/monitoring`)).json() as { batches: { type: string }[][] };
    assert.deepEqual(monitored.batches.at(-1)!.map((a) => a.type), ['OVERHEAT', 'ANOMALY']);

    assert.equal((await fetch(`${server.url}/no-such-example`)).status, 404);
    // Each request is printed as islet dev prints it, under the example's name (stderr is in output()).
    assert.match(server.output(), /\[hello\] GET \/hello 200 OK \(\d+(\.\d)? ms\)/);
    assert.match(server.output(), /\[pricing\] GET \/pricing 404 Not Found \(/);
  } finally {
    await server.stop();
    rmSync(state, { recursive: true, force: true });
  }
});
