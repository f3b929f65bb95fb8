// Path-prefix routing, as a Workers route `example.com/<prefix>/*` matches: the longest prefix wins,
// on a segment boundary, and the worker sees the full URL, prefix included.

export interface PrefixRoute<T> { prefix: string; target: T }

export class PrefixRouter<T> {
  readonly #routes: PrefixRoute<T>[];

  constructor(routes: PrefixRoute<T>[]) {
    // Longest first, so /api/v2 is tried before /api.
    this.#routes = routes.map((r) => ({ prefix: r.prefix.replace(/\/+$/, ''), target: r.target }))
      .sort((a, b) => b.prefix.length - a.prefix.length);
  }

  match(path: string): T | null {
    const pathname = path.split('?')[0] ?? '';
    for (const route of this.#routes) {
      if (route.prefix === '') return route.target;
      if (pathname === route.prefix || pathname.startsWith(route.prefix + '/')) return route.target;
    }
    return null;
  }
}
