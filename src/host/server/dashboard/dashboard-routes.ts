// The admin API endpoints the dashboard draws from (docs/admin-api.md): the recent history of each
// worker's traffic, and the last failed requests with their log lines. Both take the admin token.
import { ControlError } from '../../control/control-error.js';
import type { RecentErrors } from '../../observability/stats/recent-errors.js';
import type { StatsSeries } from '../../observability/stats/stats-series.js';
import type { AdminRequest, AdminRoute } from '../admin/admin-http.js';

function nonNegative(request: AdminRequest, key: string, fallback: number): number {
  const value = request.query.get(key);
  if (value === null) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new ControlError('invalid_request', `${key}: expected a non-negative number, got "${value}"`);
  return n;
}

export function dashboardRoutes(stats: StatsSeries, errors: RecentErrors): AdminRoute[] {
  return [
    {
      method: 'GET', path: /^\/stats\/series$/,
      handle: (request) => ({ status: 200, json: stats.series(nonNegative(request, 'since', 0)) }),
    },
    {
      method: 'GET', path: /^\/errors$/, handle: (request) => {
        const limit = Math.floor(nonNegative(request, 'limit', 100));
        return { status: 200, json: { errors: errors.list(request.query.get('worker'), limit) } };
      },
    },
  ];
}
