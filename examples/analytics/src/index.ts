// POST an event {userId, eventType, ...}: the user's aggregate is updated in ANALYTICS_KV and the
// result cached in CACHE. GET ?userId=... reads the aggregate back.
interface Env { ANALYTICS_KV: KVNamespace; CACHE: KVNamespace }
interface AnalyticsEvent { userId: string; eventType: string; [field: string]: unknown }
interface Aggregate { userId: string; eventCount: number; lastEvent: string; lastSeen: number; events: AnalyticsEvent[] }

const json = (body: unknown, status = 200) => Response.json(body, { status });

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    if (request.method === 'GET') {
      const userId = new URL(request.url).searchParams.get('userId');
      if (userId === null) return json({ error: 'Pass ?userId=... to read an aggregate, or POST an event.' }, 400);
      const aggregate = await env.ANALYTICS_KV.get<Aggregate>(`user:${userId}`, 'json');
      return aggregate === null ? json({ error: `No events for user ${userId}` }, 404) : json(aggregate);
    }
    if (request.method !== 'POST') return json({ error: 'Use GET or POST' }, 405);

    let event: AnalyticsEvent;
    try {
      event = await request.json();
    } catch {
      return json({ error: 'The body must be JSON' }, 400);
    }
    if (typeof event?.userId !== 'string' || typeof event.eventType !== 'string') {
      return json({ error: 'An event needs a userId and an eventType' }, 400);
    }

    const started = Date.now();
    const existing = await env.ANALYTICS_KV.get<Aggregate>(`user:${event.userId}`, 'json');
    const aggregate: Aggregate = {
      userId: event.userId,
      eventCount: (existing?.eventCount ?? 0) + 1,
      lastEvent: event.eventType,
      lastSeen: started,
      events: [...(existing?.events ?? []), event].slice(-100),
    };
    await env.ANALYTICS_KV.put(`user:${event.userId}`, JSON.stringify(aggregate));
    const processed = { processed: true, latency: Date.now() - started, aggregate };
    // The cache write does not hold up the response.
    ctx.waitUntil(env.CACHE.put(`analytics:${event.userId}:${event.eventType}`, JSON.stringify(processed), { expirationTtl: 300 }));
    return json(processed);
  },
};
