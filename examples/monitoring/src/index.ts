// POST {alerts: [...]} stores them (for a day); GET lists the latest.
interface Env { ALERTS: KVNamespace }

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    if (request.method === 'POST') {
      const { alerts } = await request.json<{ alerts: unknown[] }>();
      if (!Array.isArray(alerts)) return Response.json({ error: 'Expected {alerts: [...]}' }, { status: 400 });
      // Keys sort by time, newest last.
      const key = `${Date.now().toString().padStart(15, '0')}:${crypto.randomUUID()}`;
      await env.ALERTS.put(key, JSON.stringify(alerts), { expirationTtl: 24 * 3600 });
      return Response.json({ received: alerts.length }, { status: 202 });
    }
    const listed = await env.ALERTS.list();
    const latest = listed.keys.slice(-20);
    const batches = await Promise.all(latest.map((k) => env.ALERTS.get(k.name, 'json')));
    return Response.json({ batches: batches.filter((b) => b !== null) });
  },
};
