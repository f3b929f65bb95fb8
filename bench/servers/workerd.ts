// workerd serving the same module, configured the smallest way its capnp config allows.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { startChild, type Child } from '../child.js';
import { HELLO_MODULE } from '../hello.js';

interface WorkerdPackage { default: string; compatibilityDate: string; version: string }

function workerdPackage(): WorkerdPackage | null {
  try {
    return createRequire(import.meta.url)('workerd') as WorkerdPackage;
  } catch {
    return null;
  }
}

/** The workerd version when its binary runs on this machine, else null with the reason. */
export function workerdAvailable(): { version: string } | { missing: string } {
  const pkg = workerdPackage();
  if (pkg === null) return { missing: 'the workerd package is not installed' };
  try {
    const out = execFileSync(pkg.default, ['--version'], { encoding: 'utf8', timeout: 10_000 });
    return { version: out.trim() };
  } catch (err) {
    return { missing: `workerd does not run here: ${(err as Error).message.split('\n')[0]}` };
  }
}

function config(port: number, compatibilityDate: string): string {
  return `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "main", worker = .hello) ],
  sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "main") ],
);
const hello :Workerd.Worker = (
  modules = [ (name = "worker", esModule = embed "worker.js") ],
  compatibilityDate = "${compatibilityDate}",
);
`;
}

export function startWorkerd(port: number): { child: Child; cleanup: () => void } {
  const pkg = workerdPackage();
  if (pkg === null) throw new Error('the workerd package is not installed');
  const dir = mkdtempSync(join(tmpdir(), 'islet-bench-workerd-'));
  writeFileSync(join(dir, 'worker.js'), HELLO_MODULE);
  writeFileSync(join(dir, 'config.capnp'), config(port, pkg.compatibilityDate));
  const child = startChild(pkg.default, ['serve', join(dir, 'config.capnp')], {}, dir);
  return { child, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
