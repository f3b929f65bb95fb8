// Serves the dashboard's page and files at /dashboard, ahead of the admin API's token check: a
// browser cannot send a bearer header when it navigates, so the page itself carries no data and asks
// for the token, and its API calls send it (see the client's login.ts).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { PublicHandler } from '../admin/admin-http.js';
import { SECURITY_HEADERS, dashboardAsset } from './dashboard-assets.js';

export const DASHBOARD_PATH = '/dashboard';

function answer(req: IncomingMessage, res: ServerResponse, status: number, contentType: string, body: Buffer, cache: string): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': contentType, 'content-length': body.byteLength, 'cache-control': cache });
  res.end(req.method === 'HEAD' ? undefined : body);
}

export const dashboardPages: PublicHandler = (req, res) => {
  const target = req.url ?? '/';
  const queryAt = target.indexOf('?');
  const path = queryAt === -1 ? target : target.slice(0, queryAt);
  if (path !== DASHBOARD_PATH && !path.startsWith(DASHBOARD_PATH + '/')) return false;
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  if (path === DASHBOARD_PATH + '/') {
    // The page's URLs are relative to /dashboard; a relative Location also holds under islet dev's prefix.
    res.writeHead(308, { ...SECURITY_HEADERS, location: '../dashboard', 'content-length': 0 });
    res.end();
    return true;
  }
  const name = path === DASHBOARD_PATH ? 'index.html' : path.slice(DASHBOARD_PATH.length + 1);
  let asset;
  try {
    asset = dashboardAsset(name);
  } catch (err) {
    answer(req, res, 503, 'text/plain; charset=utf-8', Buffer.from(`${(err as Error).message}\n`), 'no-store');
    return true;
  }
  if (asset === null) return false;
  // The page is small and names its files without a content hash: always revalidate.
  answer(req, res, 200, asset.contentType, asset.bytes, 'no-cache');
  return true;
};
