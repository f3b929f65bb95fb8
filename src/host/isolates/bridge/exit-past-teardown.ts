// isolated-vm can abort a process in Node's environment teardown, after all of its work is done, when
// the process ends because its event loop is empty: "IsolateEnvironment::GetCurrent(): Assertion
// `environment != nullptr' failed", turning exit code 0 into SIGABRT (seen about once in 25 runs of a
// test file that starts and disposes isolates). process.exit() leaves without that teardown, so such a
// process leaves through it, with its own exit code, once every other 'exit' listener has run.
const leave = (code: number) => { process.exit(code); };

process.on('beforeExit', () => {
  // Re-added each time the loop empties, so it stays the last 'exit' listener.
  process.off('exit', leave);
  process.on('exit', leave);
});
