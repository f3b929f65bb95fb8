// Runs the real `bin/islet` launcher as a child process, as a user would.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const ISLET = join(ROOT, 'bin', 'islet');

export function runIslet(args: string[], cwd: string, input?: string) {
  const result = spawnSync(ISLET, args, { cwd, encoding: 'utf8', input, timeout: 60_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * Writes files (relative path -> content) into a new temp project directory. `packages` are linked
 * into its node_modules from Islet's own, as `npm install` would have put them there.
 */
export function makeProject(files: Record<string, string>, packages: string[] = []): string {
  const dir = mkdtempSync(join(tmpdir(), 'islet-project-'));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  if (packages.length > 0) mkdirSync(join(dir, 'node_modules'));
  for (const name of packages) symlinkSync(join(ROOT, 'node_modules', name), join(dir, 'node_modules', name), 'dir');
  return dir;
}

export interface Running { child: ChildProcess; url: string; output: () => string; stop: () => Promise<void> }

/** Starts a long-running command and resolves once it prints "Ready on URL". */
export function startIslet(args: string[], cwd: string, timeoutMs = 30_000): Promise<Running> {
  const child = spawn(ISLET, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const output = () => out;
  const stop = () => new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) { resolve(); return; }
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { void stop(); reject(new Error(`not ready after ${timeoutMs} ms:\n${out}`)); }, timeoutMs);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const match = /Ready on (http:\/\/\S+)/.exec(out);
      if (match !== null) { clearTimeout(timer); resolve({ child, url: match[1]!, output, stop }); }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`exited with ${code} before ready:\n${out}`)); });
  });
}

/** Polls until `check` passes or the deadline is reached. */
export async function eventually(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('condition not met in time');
}
