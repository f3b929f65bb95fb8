// Request and response bodies stream end to end through Islet in one process (islet dev, npm start).
import { after, before, describe } from 'node:test';
import { bigStreamCase, streamingCases } from '../helpers/streaming-cases.js';
import { STREAMING_WORKER } from '../helpers/streaming-worker.js';
import { startWorker, type WorkerServer } from '../helpers/worker-server.js';

describe('body streaming in one process', () => {
  let server: WorkerServer;
  before(async () => { server = await startWorker(STREAMING_WORKER, { limits: { cpuMs: 30_000 } }); });
  after(() => server.close());
  streamingCases(() => ({ url: server.url, logText: () => server.logs.lines.map((line) => line.message).join('\n') }));
  bigStreamCase('islet', 300);
});
