// Resolves once the process is asked to stop (Ctrl-C, SIGTERM), after running `cleanup`.
export function onShutdown(cleanup: () => Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    let stopping = false;
    const stop = () => {
      if (stopping) return;
      stopping = true;
      cleanup().catch(() => {}).finally(resolve);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
