// POST /api/v1/analytics/sql: Cloudflare's Analytics Engine SQL API, with the query as the body
// (text/plain, as Cloudflare's endpoint takes it). `?tenant=` or `?worker=` chooses whose points the
// query reads; the admin token may choose any tenant, but one query only ever sees one tenant's data.
import { ControlError } from '../../control/control-error.js';
import { NAME_PATTERN } from '../../control/model.js';
import type { Platform } from '../../platform/platform.js';
import type { AdminRoute } from './admin-http.js';

export function analyticsRoute(platform: Platform): AdminRoute {
  return {
    method: 'POST', path: /^\/analytics\/sql$/, handle: (request) => {
      const tenant = request.query.get('tenant');
      const worker = request.query.get('worker');
      if ((tenant === null) === (worker === null)) throw new ControlError('invalid_request', 'name exactly one of ?tenant= and ?worker= whose data to query');
      const name = (tenant ?? worker)!;
      if (!NAME_PATTERN.test(name)) throw new ControlError('invalid_request', `"${name}" is not a valid ${tenant !== null ? 'tenant' : 'worker'} name`);
      const sql = request.body.toString('utf8');
      const result = platform.analyticsQuery(tenant !== null ? { tenant } : { worker: name }, sql);
      return { status: 200, bytes: Buffer.from(result.body, 'utf8'), contentType: result.contentType };
    },
  };
}
