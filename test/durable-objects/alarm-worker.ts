// An object with an alarm: /set?in=MS&fails=N sets it (the handler throws on its first N runs),
// /state reports every run with its alarmInfo. Shared by the islet dev and islet serve alarm tests.
export const ALARM_WORKER = `
import { DurableObject } from 'cloudflare:workers';
export class Clock extends DurableObject {
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname.endsWith('/set')) {
      await this.ctx.storage.put('fails', Number(url.searchParams.get('fails') ?? 0));
      await this.ctx.storage.setAlarm(Date.now() + Number(url.searchParams.get('in') ?? 100));
      return Response.json({ alarm: await this.ctx.storage.getAlarm() });
    }
    return Response.json({ runs: (await this.ctx.storage.get('runs')) ?? [], alarm: await this.ctx.storage.getAlarm() });
  }
  async alarm(info) {
    const runs = (await this.ctx.storage.get('runs')) ?? [];
    runs.push({ retryCount: info.retryCount, isRetry: info.isRetry, at: Date.now(), alarmDuring: await this.ctx.storage.getAlarm() });
    await this.ctx.storage.put('runs', runs);
    if (runs.length <= (await this.ctx.storage.get('fails'))) throw new Error('not yet');
  }
}
export class NoAlarm extends DurableObject {
  async fetch() {
    try { await this.ctx.storage.setAlarm(Date.now()); return new Response('set'); } catch (e) { return new Response(e.constructor.name + ': ' + e.message); }
  }
}
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname.endsWith('/noalarm')) return env.NO_ALARM.getByName('x').fetch(request);
    return env.CLOCK.getByName(url.searchParams.get('name') ?? 'clock').fetch(request);
  },
};
`;

export interface AlarmRun { retryCount: number; isRetry: boolean; at: number; alarmDuring: number | null }
export interface AlarmState { runs: AlarmRun[]; alarm: number | null }
export const ALARM_BINDINGS = [{ binding: 'CLOCK', className: 'Clock' }, { binding: 'NO_ALARM', className: 'NoAlarm' }];

/** Polls `read` until `done` holds, for at most `ms`. */
export async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
