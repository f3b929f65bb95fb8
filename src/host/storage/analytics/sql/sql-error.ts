/** A query Islet refuses: bad syntax, or syntax outside the supported subset. The message names which. */
export class AnalyticsSqlError extends Error {
  readonly code = 'ERR_ANALYTICS_SQL';
  constructor(message: string) {
    super(message);
    this.name = 'AnalyticsSqlError';
  }
}

/**
 * A query of a dataset the tenant never wrote to. Cloudflare creates a dataset's table with its first
 * data point, so before that there is no table to query; the name may also be misspelt.
 */
export class AnalyticsUnknownDataset extends AnalyticsSqlError {
  constructor(dataset: string) {
    super(`Unknown dataset "${dataset}": no data point has been written to it. A dataset is created by its first writeDataPoint(); check the name in FROM.`);
    this.name = 'AnalyticsUnknownDataset';
  }
}
