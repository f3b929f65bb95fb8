// Islet as deployed for one tenant: the HTTP front and one resident hello worker in one process.
import { createHttpFront, listen } from '../../src/host/server/http-front.js';
import { Islet } from '../../src/host/islet.js';
import { HELLO_MODULE } from '../hello.js';

const port = Number(process.env.PORT);
const islet = new Islet({ dataDir: process.env.DATA_DIR! });
const worker = islet.createWorker({ name: 'hello', code: HELLO_MODULE });
worker.warm();
const server = createHttpFront({ route: () => worker });
await listen(server, port, '127.0.0.1');
// process.exit() rather than a signal death: --cpu-prof only writes its profile on a normal exit.
process.once('SIGTERM', () => process.exit(0));
