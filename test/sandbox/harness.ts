// Shared by the in-isolate Web API tests: every check runs inside a real isolate behind a real host,
// and reports what it saw as JSON, so assertions compare against the specs on the test side.
import { evalInWorker } from '../helpers/worker-server.js';

// Helpers defined inside the isolate ahead of each test body. An error is described by its
// interface: "TypeError", "RangeError", or "DOMException:<name>" for DOMExceptions.
const PRELUDE = `
  const describeError = (e) => e instanceof DOMException ? 'DOMException:' + e.name
    : (e && e.constructor && e.constructor.name) || String(e);
  const thrown = (fn) => { try { fn(); return 'no error'; } catch (e) { return describeError(e); } };
  const rejected = async (fn) => { try { await fn(); return 'no error'; } catch (e) { return describeError(e); } };
  const bytesOf = (view) => Array.from(new Uint8Array(view.buffer ?? view, view.byteOffset ?? 0, view.byteLength));
`;

/** Runs `body` (an async function body) inside a fresh isolate and returns its result. */
export function inIsolate<T = Record<string, unknown>>(body: string): Promise<T> {
  return evalInWorker(PRELUDE + body) as Promise<T>;
}
