// POST a transaction {userId, amount, country?, deviceId?}: it is scored from the user's history and
// approved when the score stays under MAX_SCORE. The decision is kept in AUDIT_LOG for 30 days.
interface Env { USER_HISTORY: KVNamespace; AUDIT_LOG: KVNamespace; MAX_SCORE: string }
interface Transaction { userId: string; amount: number; country?: string; deviceId?: string }
interface History { transactions: { amount: number; at: number; country?: string; deviceId?: string }[] }

function score(tx: Transaction, history: History, now: number): { score: number; reasons: string[] } {
  const reasons: string[] = [];
  let total = 0;
  const recent = history.transactions.filter((t) => now - t.at < 60 * 60 * 1000);
  if (recent.length >= 5) { total += 30; reasons.push(`${recent.length} transactions in the last hour`); }
  const amounts = history.transactions.map((t) => t.amount);
  const average = amounts.length > 0 ? amounts.reduce((a, b) => a + b, 0) / amounts.length : 0;
  if (average > 0 && tx.amount > average * 5) { total += 40; reasons.push(`amount is ${(tx.amount / average).toFixed(1)}x the user's average`); }
  if (amounts.length === 0 && tx.amount > 1000) { total += 25; reasons.push('large first transaction'); }
  const countries = new Set(history.transactions.map((t) => t.country).filter(Boolean));
  if (tx.country !== undefined && countries.size > 0 && !countries.has(tx.country)) { total += 20; reasons.push(`new country ${tx.country}`); }
  const devices = new Set(history.transactions.map((t) => t.deviceId).filter(Boolean));
  if (tx.deviceId !== undefined && devices.size > 0 && !devices.has(tx.deviceId)) { total += 15; reasons.push('new device'); }
  return { score: Math.min(total, 100), reasons };
}

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    if (request.method !== 'POST') return Response.json({ error: 'POST a transaction: {"userId": "u1", "amount": 42}' }, { status: 405 });
    let tx: Transaction;
    try {
      tx = await request.json();
    } catch {
      return Response.json({ error: 'The body must be JSON' }, { status: 400 });
    }
    if (typeof tx?.userId !== 'string' || typeof tx.amount !== 'number' || !(tx.amount > 0)) {
      return Response.json({ error: 'A transaction needs a userId and a positive amount' }, { status: 400 });
    }
    const now = Date.now();
    const history = (await env.USER_HISTORY.get<History>(tx.userId, 'json')) ?? { transactions: [] };
    const result = score(tx, history, now);
    const approved = result.score < Number(env.MAX_SCORE);
    const decision = { transactionId: crypto.randomUUID(), approved, ...result, checkedAt: new Date(now).toISOString() };

    history.transactions = [...history.transactions, { amount: tx.amount, at: now, country: tx.country, deviceId: tx.deviceId }].slice(-50);
    await env.USER_HISTORY.put(tx.userId, JSON.stringify(history));
    ctx.waitUntil(env.AUDIT_LOG.put(`${tx.userId}:${decision.transactionId}`, JSON.stringify({ tx, decision }), {
      expirationTtl: 30 * 24 * 3600,
      metadata: { approved, score: result.score },
    }));
    return Response.json(decision, { status: approved ? 200 : 402 });
  },
};
