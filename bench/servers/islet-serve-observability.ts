// `islet serve` as the CLI runs it (metrics, the dashboard's history, tails and the JSON request log
// to LOG_FILE, standing in for stdout), for measuring what observing requests costs. GET /off and
// GET /on on CONTROL_PORT switch observing off and on in this same process: the platform's reports are
// then dropped before the server's observers, and the /metrics scrape made every second while on
// (more often than Prometheus is usually set to) stops. Everything else runs either way.
// REQUEST_LOG_SAMPLING is the share of successful requests logged (1 unless set).
// ENGINES picks engine processes (0: isolates in this process, where per-request overhead shows most).
import { createServer } from 'node:http';
import { openSync } from 'node:fs';
import { parseDeployRequest } from '../../src/host/control/deploy-request.js';
import { BatchedLines } from '../../src/host/observability/logs/batched-lines.js';
import { JsonLog } from '../../src/host/observability/logs/json-log.js';
import { sampleLogs } from '../../src/host/observability/logs/log-sampling.js';
import { ObserverBatch } from '../../src/host/observability/observer-batch.js';
import { defaultServeConfig } from '../../src/host/platform/serve-config.js';
import { startServe } from '../../src/host/server/serve-servers.js';
import { HELLO_MODULE } from '../hello.js';

const dataDir = process.env.DATA_DIR!;
const port = Number(process.env.PORT);
const config = { ...defaultServeConfig(dataDir), dataDir, port, ip: '127.0.0.1', adminPort: 0, adminIp: '127.0.0.1', engines: Number(process.env.ENGINES ?? 0) };
const fail = (err: unknown) => { throw err; };

// Where every report enters the server's observers (serve-servers.ts): observing off drops them here.
let observing = true;
const deliver = ObserverBatch.prototype.request;
ObserverBatch.prototype.request = function request(outcome) { if (observing) deliver.call(this, outcome); };

const json = new JsonLog(new BatchedLines(openSync(process.env.LOG_FILE ?? '/dev/null', 'a')));
// As `islet serve` does with [observability] request_log_sampling.
const { log, requests } = sampleLogs(json, json, Number(process.env.REQUEST_LOG_SAMPLING ?? 1));
const running = await startServe(config, log, fail, { observers: [requests] });
await running.platform.deploy('hello', parseDeployRequest({ code: HELLO_MODULE, config: { routes: ['127.0.0.1/*'] } }));
setInterval(() => {
  if (!observing) return;
  void fetch(`${running.adminUrl}/metrics`, { headers: { authorization: `Bearer ${running.token}` } }).then((r) => r.arrayBuffer());
}, 1_000).unref();

const control = createServer((request, response) => {
  observing = request.url === '/on';
  response.end(observing ? 'on' : 'off');
});
control.listen(Number(process.env.CONTROL_PORT), '127.0.0.1');

const stop = async () => { control.close(); await running.close(1_000); await json.flush(); };
process.once('SIGTERM', () => { stop().finally(() => process.exit(0)); });
