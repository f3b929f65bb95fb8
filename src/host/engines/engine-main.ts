// An engine process: an EngineHost behind the IPC channel of the supervisor that forked it. It holds
// tenants' isolates so that a crash V8 cannot survive takes down this process only. Options arrive as
// JSON in argv[2]; fd 3, when open, is the pipe where it records whose code is running.
import { fstatSync } from 'node:fs';
import { EngineHost, type EngineOptions } from './engine-host.js';
import type { FromEngine, ToEngine } from './engine-protocol.js';
import { MessageBatcher, unbatch } from './message-batch.js';
import { RunningRecorder } from './running-record.js';

const RECORD_FD = 3;

function parseOptions(text: string | undefined): EngineOptions {
  const value: unknown = JSON.parse(text ?? 'null');
  if (typeof value !== 'object' || value === null) throw new Error('engine options must be a JSON object');
  const o = value as Record<string, unknown>;
  const count = (name: string): number => {
    const n = o[name];
    if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) throw new Error(`engine option ${name} must be a number >= 0`);
    return n;
  };
  if (typeof o.dataDir !== 'string') throw new Error('engine option dataDir must be a string');
  const allow = o.egressAllow;
  if (!Array.isArray(allow) || !allow.every((entry) => typeof entry === 'string')) throw new Error('engine option egressAllow must be a list of strings');
  return {
    dataDir: o.dataDir, egressAllow: allow, spares: count('spares'), maxResident: count('maxResident'), maxResidentMb: count('maxResidentMb'),
    ...(o.objectStorageMb !== undefined ? { objectStorageMb: count('objectStorageMb') } : {}),
    ...(o.codeUpdateMaxDelayMs !== undefined ? { codeUpdateMaxDelayMs: count('codeUpdateMaxDelayMs') } : {}),
  };
}

function recordPipeOpen(): boolean {
  try {
    fstatSync(RECORD_FD);
    return true;
  } catch {
    return false;
  }
}

if (process.send === undefined) {
  process.stderr.write('islet engine: must be started by the islet supervisor (no IPC channel)\n');
  process.exit(2);
}
const toSupervisor = process.send.bind(process);
const batcher = new MessageBatcher<FromEngine>((message, done) => {
  if (process.connected) toSupervisor(message, undefined, undefined, done);
});

function send(message: FromEngine): void {
  if (!process.connected) return;
  // Responses already written stay ahead of 'drained' on the channel; exiting once it is written
  // therefore loses nothing.
  if (message.t === 'drained') batcher.sendNow(message, () => process.exit(0));
  else batcher.send(message);
}

const host = new EngineHost({
  ...parseOptions(process.argv[2]),
  send,
  ...(recordPipeOpen() ? { recorder: RunningRecorder.toFd(RECORD_FD) } : {}),
});

process.on('message', (received: unknown) => unbatch(received, (message) => host.handle(message as ToEngine)));
// The supervisor is gone (crashed, killed): nobody can reach these isolates any more.
process.on('disconnect', () => process.exit(0));
if (!process.connected) process.exit(0);
// Defence in depth: an engine was once seen outliving its supervisor (re-parented to init, channel
// apparently still open). Whatever the cause, an engine without its supervisor must not linger.
const supervisorPid = process.ppid;
setInterval(() => { if (process.ppid !== supervisorPid) process.exit(0); }, 1_000).unref();
// Ctrl-C in a terminal and a service manager's stop signal reach every process of the group; the
// supervisor turns them into a drain ('shutdown'), which engines killed by them could not do.
process.on('SIGINT', () => {});
process.on('SIGTERM', () => {});
send({ t: 'ready', pid: process.pid });
