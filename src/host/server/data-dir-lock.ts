// One `islet serve` per data directory: two servers on the same SQLite files would each cache their
// own view of the deployments and answer differently. A pid file claims the directory; a file left by
// a server that died is taken over.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export class DataDirLockedError extends Error {
  readonly code = 'ERR_DATA_DIR_LOCKED';
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Claims `dataDir` for this process; returns the release function. */
export function lockDataDir(dataDir: string): () => void {
  const file = join(dataDir, 'serve.pid');
  let holder = NaN;
  try {
    holder = Number(readFileSync(file, 'utf8').trim());
  } catch { /* no lock file */ }
  if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && alive(holder)) {
    throw new DataDirLockedError(`Another islet serve (pid ${holder}) is using ${dataDir}; stop it or choose another --data directory.`);
  }
  writeFileSync(file, `${process.pid}\n`, { mode: 0o600 });
  return () => {
    try {
      if (Number(readFileSync(file, 'utf8').trim()) === process.pid) rmSync(file);
    } catch { /* already gone */ }
  };
}
