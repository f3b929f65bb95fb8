// A real `islet serve` child process for the admin CLI tests, started through the bin/islet launcher
// as an operator would, with its token in the environment, and a tenant client that can set Host.
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runIslet, startIslet, type Running } from '../helpers/cli.js';

export const TOKEN = 'cli-test-admin-token-0123456789';

export interface ServeProcess {
  /** The tenant port. */
  url: string;
  adminUrl: string;
  dataDir: string;
  /** The server's process (bin/islet execs node, so this is islet serve itself). */
  pid: number;
  output: () => string;
  /** Runs `islet ARGS --server ADMIN --token TOKEN` in `cwd`, with `input` on stdin. */
  islet(args: string[], cwd: string, input?: string): ReturnType<typeof runIslet>;
  stop(): Promise<void>;
}

export async function startServeProcess(cwd: string): Promise<ServeProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'islet-serve-data-'));
  // The child takes a copy of the environment when it is spawned; commands get the token as a flag.
  process.env['ISLET_ADMIN_TOKEN'] = TOKEN;
  let running: Running;
  try {
    const starting = startIslet(['serve', '--port', '0', '--admin-port', '0', '--data', dataDir, '--engines', '1'], cwd);
    delete process.env['ISLET_ADMIN_TOKEN'];
    running = await starting;
  } catch (err) {
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  } finally {
    delete process.env['ISLET_ADMIN_TOKEN'];
  }
  const admin = /Admin API on (http:\/\/[^\s)]+)/.exec(running.output());
  if (admin === null) {
    await running.stop();
    rmSync(dataDir, { recursive: true, force: true });
    throw new Error(`islet serve did not print its admin URL:\n${running.output()}`);
  }
  const adminUrl = admin[1]!;
  return {
    url: running.url, adminUrl, dataDir, output: running.output, pid: running.child.pid!,
    islet: (args, dir, input) => runIslet([...args, '--server', adminUrl, '--token', TOKEN], dir, input),
    stop: async () => {
      await running.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface TenantAnswer { status: number; body: string }

/** A request to the tenant port; `host` sets the Host header, which fetch() cannot. */
export function tenantGet(base: string, path: string, host?: string, headers: Record<string, string> = {}): Promise<TenantAnswer> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    // A fresh connection each time: runIslet blocks this event loop, so a keep-alive socket the
    // server closed meanwhile would still look reusable and the request would hang up.
    const req = request({ host: url.hostname, port: url.port, path, agent: false, headers: { ...(host !== undefined ? { host } : {}), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** A loopback port nothing listens on (bound, then released), so connecting to it is refused. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
