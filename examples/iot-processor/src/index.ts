// POST a batch {sensorId, readings: [{temperature, timestamp}]}: readings over OVERHEAT_CELSIUS or far
// from the batch's moving average become alerts, sent to MONITORING_URL; the batch's min/max/avg are
// stored per sensor and hour in METRICS.
interface Env { METRICS: KVNamespace; MONITORING_URL: string; OVERHEAT_CELSIUS: number }
interface Reading { temperature: number; timestamp: number }
interface Batch { sensorId: string; readings: Reading[] }
interface Alert { sensor: string; type: 'OVERHEAT' | 'ANOMALY'; value: number; timestamp: number }

function detect(batch: Batch, overheat: number): Alert[] {
  const alerts: Alert[] = [];
  batch.readings.forEach((reading, i) => {
    if (reading.temperature > overheat) {
      alerts.push({ sensor: batch.sensorId, type: 'OVERHEAT', value: reading.temperature, timestamp: reading.timestamp });
    }
    // Moving average over up to ten readings before this one.
    const window = batch.readings.slice(Math.max(0, i - 10), i);
    if (window.length >= 3) {
      const average = window.reduce((sum, r) => sum + r.temperature, 0) / window.length;
      if (Math.abs(reading.temperature - average) > 15) {
        alerts.push({ sensor: batch.sensorId, type: 'ANOMALY', value: reading.temperature - average, timestamp: reading.timestamp });
      }
    }
  });
  return alerts;
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    if (request.method !== 'POST') return Response.json({ error: 'POST a batch: {"sensorId": "s1", "readings": [{"temperature": 20, "timestamp": 0}]}' }, { status: 405 });
    let batch: Batch;
    try {
      batch = await request.json();
    } catch {
      return Response.json({ error: 'The body must be JSON' }, { status: 400 });
    }
    if (typeof batch?.sensorId !== 'string' || !Array.isArray(batch.readings) || batch.readings.length === 0
      || !batch.readings.every((r) => typeof r?.temperature === 'number')) {
      return Response.json({ error: 'A batch needs a sensorId and a non-empty readings array of {temperature, timestamp}' }, { status: 400 });
    }
    const alerts = detect(batch, Number(env.OVERHEAT_CELSIUS));
    let delivered = 0;
    if (alerts.length > 0) {
      const response = await fetch(env.MONITORING_URL, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ alerts }),
      });
      if (response.ok) delivered = alerts.length;
    }
    const temperatures = batch.readings.map((r) => r.temperature);
    const hour = Math.floor(Date.now() / 3_600_000);
    await env.METRICS.put(`sensor:${batch.sensorId}:${hour}`, JSON.stringify({
      min: Math.min(...temperatures),
      max: Math.max(...temperatures),
      avg: temperatures.reduce((a, b) => a + b, 0) / temperatures.length,
      count: temperatures.length,
    }), { expirationTtl: 7 * 24 * 3600 });
    return Response.json({ processed: batch.readings.length, alerts: alerts.length, delivered });
  },
};
