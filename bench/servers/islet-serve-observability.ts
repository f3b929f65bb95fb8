// `islet serve` with all of its observability or none of it (OBSERVABILITY=on|off), for measuring what
// observability costs. On is what the CLI runs: metrics, the dashboard's history, tails and the JSON
// request log (to LOG_FILE, standing in for stdout), plus a /metrics scrape every second, more often
// than Prometheus is usually set to. Off is the same platform and front door with no observer at all.
// REQUEST_LOG_SAMPLING is the share of successful requests logged (1 unless set).
// ENGINES picks engine processes (0: isolates in this process, where per-request overhead shows most).
import { openSync } from 'node:fs';
import { parseDeployRequest } from '../../src/host/control/deploy-request.js';
import { BatchedLines } from '../../src/host/observability/logs/batched-lines.js';
import { JsonLog } from '../../src/host/observability/logs/json-log.js';
import { sampleLogs } from '../../src/host/observability/logs/log-sampling.js';
import { MemoryLogSink } from '../../src/host/observability/log-sink.js';
import { Platform } from '../../src/host/platform/platform.js';
import { defaultServeConfig } from '../../src/host/platform/serve-config.js';
import { createHttpFront, listen } from '../../src/host/server/http-front.js';
import { startServe } from '../../src/host/server/serve-servers.js';
import { HELLO_MODULE } from '../hello.js';

const dataDir = process.env.DATA_DIR!;
const port = Number(process.env.PORT);
const config = { ...defaultServeConfig(dataDir), dataDir, port, ip: '127.0.0.1', adminPort: 0, adminIp: '127.0.0.1', engines: Number(process.env.ENGINES ?? 0) };
const deploy = (platform: Platform) => platform.deploy('hello', parseDeployRequest({ code: HELLO_MODULE, config: { routes: ['127.0.0.1/*'] } }));
const fail = (err: unknown) => { throw err; };

let stop: () => Promise<void>;
if (process.env.OBSERVABILITY === 'on') {
  const json = new JsonLog(new BatchedLines(openSync(process.env.LOG_FILE ?? '/dev/null', 'a')));
  // As `islet serve` does with [observability] request_log_sampling.
  const { log, requests } = sampleLogs(json, json, Number(process.env.REQUEST_LOG_SAMPLING ?? 1));
  const running = await startServe(config, log, fail, { observers: [requests] });
  await deploy(running.platform);
  setInterval(() => {
    void fetch(`${running.adminUrl}/metrics`, { headers: { authorization: `Bearer ${running.token}` } }).then((r) => r.arrayBuffer());
  }, 1_000).unref();
  stop = async () => { await running.close(1_000); await json.flush(); };
} else {
  const platform = await Platform.open(config, new MemoryLogSink());
  await deploy(platform);
  const front = createHttpFront({ route: (host, path) => platform.route(host, path), onError: fail });
  await listen(front, port, '127.0.0.1');
  stop = async () => { front.close(); await platform.shutdown(1_000); };
}
process.once('SIGTERM', () => { stop().finally(() => process.exit(0)); });
