// CPU profiling of a server over a window the bench chooses (SIGUSR2 starts it, the returned function
// ends it), so start-up and TypeScript loading stay out of the profile that --cpu-prof would include.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';

export function profileOnSignal(outFile: string): () => Promise<void> {
  const session = new Session();
  session.connect();
  let running = false;
  process.on('SIGUSR2', () => {
    if (running) return;
    running = true;
    void (async () => {
      await session.post('Profiler.enable');
      await session.post('Profiler.setSamplingInterval', { interval: 250 });
      await session.post('Profiler.start');
      process.stdout.write('profiling\n');
    })();
  });
  return async () => {
    if (!running) return;
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(outFile, JSON.stringify(profile));
  };
}
