// The servers compared for throughput, each started in a process of its own on a fresh loopback port.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, startChild, stopChild, waitForPort, type Child } from './child.js';
import { HELLO_BODY } from './hello.js';
import { startWorkerd } from './servers/workerd.js';

const here = dirname(fileURLToPath(import.meta.url));

/** islet: one process; islet-serve: `islet serve` with its worker in an engine process. */
export type TargetName = 'node' | 'islet' | 'islet-serve' | 'workerd';

export interface Running { url: string; child: Child; stop(): Promise<void> }

/** Node flags shared by every Node child: isolated-vm needs --no-node-snapshot, tsx loads the TypeScript. */
export const NODE_FLAGS = ['--no-node-snapshot', '--import', 'tsx'];

async function ready(child: Child, port: number, cleanup: () => void): Promise<Running> {
  const url = `http://127.0.0.1:${port}/`;
  const stop = async () => { await stopChild(child); cleanup(); };
  try {
    await waitForPort(port, child);
    // A target that answers anything else would be measured doing different work.
    // islet-serve listens before its worker is deployed; give the deploy a moment.
    let response = await fetch(url);
    for (let tries = 0; response.status === 404 && tries < 100; tries++) {
      await response.arrayBuffer();
      await new Promise((r) => setTimeout(r, 100));
      response = await fetch(url);
    }
    const body = await response.text();
    if (response.status !== 200 || body !== HELLO_BODY) throw new Error(`answered ${response.status} ${JSON.stringify(body)}`);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, child, stop };
}

export async function startTarget(name: TargetName, env: NodeJS.ProcessEnv = {}): Promise<Running> {
  const port = await freePort();
  if (name === 'workerd') {
    const { child, cleanup } = startWorkerd(port);
    return ready(child, port, cleanup);
  }
  const script = join(here, 'servers', name === 'node' ? 'node-hello.ts' : name === 'islet' ? 'islet-hello.ts' : 'islet-serve-hello.ts');
  const dataDir = mkdtempSync(join(tmpdir(), 'islet-bench-'));
  const child = startChild(process.execPath, [...NODE_FLAGS, script], { ...env, PORT: String(port), DATA_DIR: dataDir });
  return ready(child, port, () => rmSync(dataDir, { recursive: true, force: true }));
}
