// `islet serve`'s platform and front door with isolates in this process (engines 0, the most
// throughput, so per-request overhead shows most), with or without the metrics observer (METRICS=on|off).
// With it, the metrics are also scraped once a second, more often than Prometheus usually does.
import { parseDeployRequest } from '../../src/host/control/deploy-request.js';
import { MemoryLogSink } from '../../src/host/observability/log-sink.js';
import { ServerMetrics } from '../../src/host/observability/metrics/server-metrics.js';
import { NO_OBSERVER } from '../../src/host/observability/platform-observer.js';
import { Platform } from '../../src/host/platform/platform.js';
import { defaultServeConfig } from '../../src/host/platform/serve-config.js';
import { createHttpFront, listen } from '../../src/host/server/http-front.js';
import { HELLO_MODULE } from '../hello.js';

const dataDir = process.env.DATA_DIR!;
const config = { ...defaultServeConfig(dataDir), dataDir, engines: 0 };
const metrics = process.env.METRICS === 'on' ? new ServerMetrics(config.cost) : null;
const platform = await Platform.open(config, new MemoryLogSink(), metrics?.requests ?? NO_OBSERVER);
if (metrics !== null) {
  metrics.watchEngines(() => platform.engines());
  setInterval(() => { void metrics.scrape(); }, 1_000).unref();
}
await platform.deploy('hello', parseDeployRequest({ code: HELLO_MODULE, config: { routes: ['127.0.0.1/*'] } }));
const front = createHttpFront({ route: (host, path) => platform.route(host, path), onError: (err) => { throw err; } });
await listen(front, Number(process.env.PORT), '127.0.0.1');
process.once('SIGTERM', () => { front.close(); platform.shutdown(1_000).finally(() => process.exit(0)); });
