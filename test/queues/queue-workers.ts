// Workers the queue tests deploy. The producer sends what a request asks for and reports the outcome;
// the consumer logs one JSON line per batch (its queue, and per message id, body, attempts, timestamp)
// and decides each message by its body: {fail: n} throws while attempts <= n, {retry: true} is retried
// explicitly, {ack: true} is acked before the handler throws, anything else succeeds.

export const PRODUCER = `export default { async fetch(request, env) {
  const url = new URL(request.url);
  const op = url.pathname.split('/').pop();
  try {
    if (op === 'kinds') {
      await env.Q.send({ kind: 'json', n: 1 }, { contentType: 'json' });
      await env.Q.send('plain words', { contentType: 'text' });
      await env.Q.send(new Uint8Array([1, 2, 3]), { contentType: 'bytes' });
      await env.Q.send({ kind: 'v8', when: new Date(7), map: new Map([['k', 'v']]) }, { contentType: 'v8' });
      await env.Q.send({ kind: 'default' });
      return new Response('sent');
    }
    if (op === 'batch') {
      const n = Number(url.searchParams.get('n'));
      await env.Q.sendBatch(Array.from({ length: n }, (_, i) => ({ body: { i } })));
      return new Response('sent');
    }
    if (op === 'one') {
      const body = JSON.parse(url.searchParams.get('body'));
      const delay = url.searchParams.get('delay');
      await env.Q.send(body, delay === null ? {} : { delaySeconds: Number(delay) });
      return new Response('sent');
    }
    if (op === 'limits') {
      const tryIt = async (f) => { try { await f(); return 'ok'; } catch (e) { return e.name + ': ' + e.message; } };
      return Response.json({
        tooLarge: await tryIt(() => env.Q.send('x'.repeat(128001), { contentType: 'text' })),
        atLimit: await tryIt(() => env.Q.send('x'.repeat(128000), { contentType: 'text' })),
        tooMany: await tryIt(() => env.Q.sendBatch(Array.from({ length: 101 }, () => ({ body: 1 })))),
        batchTooLarge: await tryIt(() => env.Q.sendBatch(Array.from({ length: 3 }, () => ({ body: 'y'.repeat(100000), contentType: 'text' })))),
        delayTooLong: await tryIt(() => env.Q.send(1, { delaySeconds: 43201 })),
        textNotString: await tryIt(() => env.Q.send(5, { contentType: 'text' })),
        unknownType: await tryIt(() => env.Q.send(5, { contentType: 'xml' })),
        func: await tryIt(() => env.Q.send(() => 1)),
      });
    }
    return new Response('unknown', { status: 404 });
  } catch (e) {
    return new Response(e.name + ': ' + e.message, { status: 500 });
  }
} }`;

export const CONSUMER = `export default { async queue(batch, env, ctx) {
  console.log(JSON.stringify({ queue: batch.queue, at: Date.now(), messages: batch.messages.map((m) => ({
    id: m.id, attempts: m.attempts, isDate: m.timestamp instanceof Date, ts: m.timestamp.getTime(),
    body: m.body instanceof ArrayBuffer ? { bytes: Array.from(new Uint8Array(m.body)) }
      : m.body && m.body.map instanceof Map ? { kind: m.body.kind, when: m.body.when.getTime(), map: m.body.map.get('k') } : m.body,
  })) }));
  let fail = false;
  for (const m of batch.messages) {
    const b = m.body;
    if (b && typeof b === 'object' && b.ack) m.ack();
    if (b && typeof b === 'object' && b.retry) m.retry();
    if (b && typeof b === 'object' && typeof b.fail === 'number' && m.attempts <= b.fail) fail = true;
    if (b && typeof b === 'object' && b.throwAfterAck) fail = true;
  }
  if (fail) throw new Error('consumer failed on purpose');
} }`;

export interface LoggedBatch {
  queue: string;
  at: number;
  messages: { id: string; attempts: number; isDate: boolean; ts: number; body: unknown }[];
}

/** The batches a consumer logged so far, from log lines `{ worker, message }`. */
export function batchesOf(lines: readonly { worker: string; message: string }[], worker: string): LoggedBatch[] {
  return lines.filter((l) => l.worker === worker && l.message.startsWith('{"queue"')).map((l) => JSON.parse(l.message) as LoggedBatch);
}

export async function waitFor<T>(probe: () => T | null | undefined | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== null && value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 25));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
