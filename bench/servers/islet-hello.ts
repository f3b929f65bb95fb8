// Islet as deployed for one tenant: the HTTP front and one resident hello worker in one process.
import { createHttpFront, listen } from '../../src/host/server/http-front.js';
import { Islet } from '../../src/host/islet.js';
import { HELLO_MODULE } from '../hello.js';
import { profileOnSignal } from './profile-on-signal.js';

const port = Number(process.env.PORT);
const islet = new Islet({ dataDir: process.env.DATA_DIR! });
const worker = islet.createWorker({ name: 'hello', code: HELLO_MODULE });
worker.warm();
const server = createHttpFront({ route: () => worker });
await listen(server, port, '127.0.0.1');
const stopProfile = process.env.CPU_PROFILE ? profileOnSignal(process.env.CPU_PROFILE) : async () => {};
process.once('SIGTERM', () => { stopProfile().finally(() => process.exit(0)); });
