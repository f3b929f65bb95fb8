// POST /api/v1/workers/:name/scheduled?cron=...&time=...: runs the worker's scheduled() handler now,
// as `wrangler dev --test-scheduled` does locally with /__scheduled. `cron` is the expression the
// handler sees (default: the worker's first trigger), `time` the scheduledTime in ms (default: now).
// The run takes the same path as a cron-fired one and is recorded as that trigger's last run.
import { ControlError } from '../../control/control-error.js';
import { NAME_PATTERN } from '../../control/model.js';
import type { Platform } from '../../platform/platform.js';
import { CronExpressionError, parseCron } from '../../scheduling/cron-expression.js';
import type { AdminRoute } from './admin-http.js';

export function scheduledRoute(platform: Platform): AdminRoute {
  return {
    method: 'POST', path: /^\/workers\/([^/]+)\/scheduled$/, handle: async (request) => {
      const name = request.params[0]!;
      if (!NAME_PATTERN.test(name)) throw new ControlError('invalid_request', `"${name}" is not a valid worker name`);
      if (platform.store.getWorker(name) === null) throw new ControlError('not_found', `worker "${name}" not found`);
      const given = request.query.get('cron');
      const cron = given ?? platform.triggers(name)[0]?.cron;
      if (cron === undefined) throw new ControlError('invalid_request', `cron: worker "${name}" has no cron triggers; name the expression to run with ?cron=`);
      try {
        parseCron(cron);
      } catch (err) {
        if (err instanceof CronExpressionError) throw new ControlError('invalid_request', `cron: ${err.message}`);
        throw err;
      }
      const time = request.query.get('time');
      const scheduledTime = time === null ? Date.now() : Number(time);
      if (!Number.isSafeInteger(scheduledTime) || scheduledTime < 0) throw new ControlError('invalid_request', 'time: must be a time in milliseconds since the epoch');
      const run = await platform.runScheduled(name, parseCron(cron).expression, scheduledTime);
      return { status: 200, json: { worker: name, ...run } };
    },
  };
}
