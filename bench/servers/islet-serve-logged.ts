// `islet serve`'s platform and front door with isolates in this process (engines 0, so per-request
// overhead shows most), with or without the JSON request log (LOG=off|json). With it, every request
// and console line is written by pino to LOG_FILE (a file, or /dev/null), as `islet serve` writes
// them to stdout.
import { openSync } from 'node:fs';
import { parseDeployRequest } from '../../src/host/control/deploy-request.js';
import { BatchedLines } from '../../src/host/observability/logs/batched-lines.js';
import { JsonLog } from '../../src/host/observability/logs/json-log.js';
import { MemoryLogSink } from '../../src/host/observability/log-sink.js';
import { NO_OBSERVER } from '../../src/host/observability/platform-observer.js';
import { Platform } from '../../src/host/platform/platform.js';
import { defaultServeConfig } from '../../src/host/platform/serve-config.js';
import { createHttpFront, listen } from '../../src/host/server/http-front.js';
import { HELLO_MODULE } from '../hello.js';

const dataDir = process.env.DATA_DIR!;
const config = { ...defaultServeConfig(dataDir), dataDir, engines: 0 };
const json = process.env.LOG === 'json' ? new JsonLog(new BatchedLines(openSync(process.env.LOG_FILE ?? '/dev/null', 'a'))) : null;
const platform = await Platform.open(config, json ?? new MemoryLogSink(), json ?? NO_OBSERVER);
await platform.deploy('hello', parseDeployRequest({ code: HELLO_MODULE, config: { routes: ['127.0.0.1/*'] } }));
const front = createHttpFront({ route: (host, path) => platform.route(host, path), onError: (err) => { throw err; } });
await listen(front, Number(process.env.PORT), '127.0.0.1');
process.once('SIGTERM', () => { front.close(); platform.shutdown(1_000).then(() => json?.flush()).finally(() => process.exit(0)); });
