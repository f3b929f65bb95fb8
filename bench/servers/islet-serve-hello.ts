// Islet as a multi-tenant server: `islet serve`'s front door in this process, the hello worker
// deployed through the platform (as the admin API does) and running in an engine process, so every
// request crosses the supervisor/engine boundary.
import { MemoryLogSink } from '../../src/host/observability/log-sink.js';
import { defaultServeConfig } from '../../src/host/platform/serve-config.js';
import { parseDeployRequest } from '../../src/host/control/deploy-request.js';
import { startServe } from '../../src/host/server/serve-servers.js';
import { HELLO_MODULE } from '../hello.js';

const dataDir = process.env.DATA_DIR!;
const running = await startServe({
  ...defaultServeConfig(dataDir),
  dataDir, port: Number(process.env.PORT), adminPort: 0, adminToken: 'bench-admin-token-0123456789',
  engines: Number(process.env.ENGINES ?? 1),
}, new MemoryLogSink(), (err) => { throw err; });
await running.platform.deploy('hello', parseDeployRequest({ code: HELLO_MODULE, config: { routes: ['127.0.0.1/*'] } }));
process.once('SIGTERM', () => { running.close(1_000).finally(() => process.exit(0)); });
