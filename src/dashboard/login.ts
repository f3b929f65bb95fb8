// The token lives in sessionStorage: this tab only, gone when it closes, never in a URL or a cookie.
// Signing in checks it with one API call, so a wrong token is reported at the form.
import { AdminApi, UnauthorizedError } from './api.js';

const KEY = 'islet-admin-token';

export function savedToken(): string | null {
  return sessionStorage.getItem(KEY);
}

export function forgetToken(): void {
  sessionStorage.removeItem(KEY);
}

/** Resolves with an API client when the server accepts the token; otherwise with the reason. */
export async function signIn(base: string, token: string): Promise<AdminApi | string> {
  const api = new AdminApi(base, token.trim());
  try {
    await api.json('/health');
  } catch (err) {
    if (err instanceof UnauthorizedError) return 'The server refused this token.';
    return `The server could not be reached: ${(err as Error).message}`;
  }
  sessionStorage.setItem(KEY, token.trim());
  return api;
}
