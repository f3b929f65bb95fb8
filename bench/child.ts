// Child processes of the bench: each started on its own, stopped by its PID, and never outliving the
// bench (a crash or Ctrl-C in the parent still takes them down).
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, createServer } from 'node:net';

const live = new Set<ChildProcess>();

function killAll(): void {
  for (const child of live) {
    if (child.pid !== undefined) {
      try { process.kill(child.pid, 'SIGKILL'); } catch { /* already gone */ }
    }
  }
}
process.once('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => { killAll(); process.exit(signal === 'SIGINT' ? 130 : 143); });
}

export interface Child {
  proc: ChildProcess;
  pid: number;
  /** The last few KB the child wrote, for error messages. */
  output(): string;
  /** Everything it wrote on stdout, once it has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string }>;
}

export function startChild(command: string, args: string[], env: NodeJS.ProcessEnv = {}, cwd?: string): Child {
  const proc = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env }, ...(cwd ? { cwd } : {}) });
  if (proc.pid === undefined) throw new Error(`could not start ${command}`);
  live.add(proc);
  let stdout = '';
  let tail = '';
  const keep = (chunk: Buffer) => { tail = (tail + chunk.toString()).slice(-4096); };
  proc.stdout!.on('data', (chunk: Buffer) => { stdout += chunk.toString(); keep(chunk); });
  proc.stderr!.on('data', keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string }>((resolve) => {
    proc.once('exit', (code, signal) => {
      live.delete(proc);
      // stdout may still hold buffered data after 'exit'; 'close' means the pipes are drained.
      if (proc.stdout!.readableEnded) resolve({ code, signal, stdout });
      else proc.stdout!.once('close', () => resolve({ code, signal, stdout }));
    });
  });
  return { proc, pid: proc.pid, output: () => tail, exited };
}

/** SIGTERM, then SIGKILL if it has not gone within `graceMs`. */
export async function stopChild(child: Child, graceMs = 3000): Promise<void> {
  if (child.proc.exitCode !== null || child.proc.signalCode !== null) return;
  try { process.kill(child.pid, 'SIGTERM'); } catch { return; }
  const timer = setTimeout(() => { try { process.kill(child.pid, 'SIGKILL'); } catch { /* gone */ } }, graceMs);
  await child.exited;
  clearTimeout(timer);
}

/** Runs a child to completion within `timeoutMs` and returns what it printed. */
export async function runChild(command: string, args: string[], timeoutMs: number, env: NodeJS.ProcessEnv = {}): Promise<string> {
  const child = startChild(command, args, env);
  const timer = setTimeout(() => { try { process.kill(child.pid, 'SIGKILL'); } catch { /* gone */ } }, timeoutMs);
  const result = await child.exited;
  clearTimeout(timer);
  if (result.code !== 0) {
    throw new Error(`${command} ${args.join(' ')} ended with ${result.code ?? result.signal}:\n${child.output()}`);
  }
  return result.stdout;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Waits until something accepts TCP connections on the port, or the child dies. */
export async function waitForPort(port: number, child: Child, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.proc.exitCode !== null || child.proc.signalCode !== null) {
      throw new Error(`server exited before listening:\n${child.output()}`);
    }
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => { socket.destroy(); resolve(true); });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`nothing listened on 127.0.0.1:${port} within ${timeoutMs} ms:\n${child.output()}`);
}

/** The last JSON line a probe printed: probes report that way so stray log lines do not matter. */
export function lastJsonLine<T>(stdout: string): T {
  const lines = stdout.trim().split('\n').reverse();
  for (const line of lines) {
    if (line.startsWith('{')) return JSON.parse(line) as T;
  }
  throw new Error(`no JSON result in output:\n${stdout.slice(-2000)}`);
}
