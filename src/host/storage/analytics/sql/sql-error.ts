/** A query Islet refuses: bad syntax, or syntax outside the supported subset. The message names which. */
export class AnalyticsSqlError extends Error {
  readonly code = 'ERR_ANALYTICS_SQL';
  constructor(message: string) {
    super(message);
    this.name = 'AnalyticsSqlError';
  }
}
